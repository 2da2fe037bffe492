-- the catalogue; HD-004, LT-006 and GC-007 are scarce and run out under the demo's traffic
MERGE INTO products (sku, name, price_cents, stock) KEY (sku) VALUES
  ('KB-001', 'Mechanical keyboard', 8900, 100000),
  ('MS-002', 'Wireless mouse', 2900, 100000),
  ('MN-003', '27-inch monitor', 24900, 100000),
  ('HD-004', 'Noise-cancelling headphones', 19900, 25),
  ('CB-005', 'USB-C cable', 900, 100000),
  ('LT-006', 'Limited edition laptop sleeve', 4900, 6),
  ('GC-007', 'Graphics card', 59900, 2);
