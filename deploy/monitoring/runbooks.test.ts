/** Every alert is complete and has a runbook: a heading named after it in deploy/README.md. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RULE_GROUPS, RUNBOOK_FILE, runbookAnchor } from '../prometheus/rules.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(`${repoRoot}${path}`, 'utf8');

test('every alert has a for, a severity, a summary, a description and a runbook section in deploy/README.md', () => {
  const readme = read(RUNBOOK_FILE);
  const headings = new Set([...readme.matchAll(/^#{2,5} +(.+?) *$/gm)].map((m) => m[1]!.toLowerCase()));
  const names = new Set<string>();
  for (const group of RULE_GROUPS) {
    for (const rule of group.rules) {
      assert.ok(!names.has(rule.alert), `${rule.alert} defined twice`);
      names.add(rule.alert);
      assert.match(rule.for, /^\d+[smh]$/, `${rule.alert}: for`);
      assert.ok(['warning', 'critical'].includes(rule.labels.severity));
      assert.ok(rule.annotations.summary.length > 0 && rule.annotations.description.length > 0);
      // GitHub's heading anchor is the heading lowercased; the alert name is the heading.
      assert.ok(headings.has(runbookAnchor(rule.alert)), `README: no runbook heading for ${rule.alert}`);
    }
  }
});
