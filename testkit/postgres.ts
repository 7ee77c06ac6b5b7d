/**
 * A fresh, migrated Postgres database per test (file or suite), dropped afterwards.
 * TEST_DATABASE_ADMIN_URL names a database the test role can CREATE DATABASE from.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { connectPostgres, type Sql } from '../shared/db/connect.js';
import { migrate } from '../shared/db/migrate.js';
import { testLogger } from './logger.js';

export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `parley_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  await migrate(dbUrl, testLogger());
  const sql = await connectPostgres({ url: dbUrl, poolSize: 4 }, testLogger(), 'parley-test');
  return {
    url: dbUrl,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const a = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
