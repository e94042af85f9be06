import test from 'ava';
import { scrubSecrets, SECRET_MASK } from '../../../src/connectors/connector.js';
import { CONNECTORS, connectorTypeNames, findConnector } from '../../../src/connectors/registry.js';

test('the registry is one explicit list with postgresql, found by name or alias in any case', (t) => {
  t.deepEqual(CONNECTORS.map((c) => c.type), ['postgresql']);
  t.is(findConnector('postgresql')?.type, 'postgresql');
  t.is(findConnector('postgres')?.type, 'postgresql');
  t.is(findConnector(' PostgreSQL ')?.type, 'postgresql');
  t.is(findConnector('mysql'), undefined);
  t.deepEqual(connectorTypeNames(), ['postgresql', 'postgres']);
});

test('connector types are unique across names and aliases', (t) => {
  const names = connectorTypeNames();
  t.is(new Set(names).size, names.length);
});

test('scrubSecrets removes each secret and any URL userinfo, longest secret first', (t) => {
  const dsn = 'postgres://app:pa55@db/x';
  const msg = `could not connect with ${dsn}; password pa55 rejected; see postgresql://other:zz@host/y`;
  const out = scrubSecrets(msg, ['pa55', dsn, '']);
  t.false(out.includes('pa55'));
  t.false(out.includes('zz@'));
  t.true(out.includes(SECRET_MASK));
  t.is(scrubSecrets('nothing to hide', ['secret']), 'nothing to hide');
});
