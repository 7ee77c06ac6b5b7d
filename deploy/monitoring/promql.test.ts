import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorsOf } from './promql.js';

test('finds metric names, not functions, aggregations, keywords or label lists', () => {
  const expr = `histogram_quantile(0.99, sum by (le, instance) (rate(a_bucket{service="gateway"}[$__rate_interval])))
    > 0.25 and on (instance) sum without (code) (rate(b_total[5m] offset 1h)) > bool 0
    or absent(up{job="parley-api"}) unless ignoring (x) group_left (y) c`;
  assert.deepEqual(selectorsOf(expr), [
    { metric: 'a_bucket', labels: ['service'] },
    { metric: 'b_total', labels: [] },
    { metric: 'up', labels: ['job'] },
    { metric: 'c', labels: [] },
  ]);
});

test('aggregation clauses after the expression and subqueries', () => {
  assert.deepEqual(selectorsOf('sum(rate(x[5m])) by (le)'), [{ metric: 'x', labels: [] }]);
  assert.deepEqual(selectorsOf('deriv(sum(y)[15m:1m])'), [{ metric: 'y', labels: [] }]);
});

test('matchers with every operator, escaped quotes and Grafana variables in values', () => {
  const expr = 'm{a="x\\"y", b!="1", c=~"$instance", d!~\'.*\',}';
  assert.deepEqual(selectorsOf(expr), [{ metric: 'm', labels: ['a', 'b', 'c', 'd'] }]);
});

test('recording rule names with colons are metric names', () => {
  assert.deepEqual(selectorsOf('parley:backlog:sum > 10'), [{ metric: 'parley:backlog:sum', labels: [] }]);
});

test('malformed selectors are reported rather than misread', () => {
  assert.throws(() => selectorsOf('{__name__="x"}'), /without a metric name/);
  assert.throws(() => selectorsOf('m{a="x"'), /unterminated/);
  assert.throws(() => selectorsOf('m{a=x}'), /without a quoted value/);
});
