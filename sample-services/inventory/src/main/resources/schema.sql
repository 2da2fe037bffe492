CREATE TABLE IF NOT EXISTS products (
  sku VARCHAR(32) PRIMARY KEY,
  name VARCHAR(128) NOT NULL,
  price_cents BIGINT NOT NULL,
  stock INT NOT NULL CHECK (stock >= 0)
);
CREATE TABLE IF NOT EXISTS reservations (
  order_id VARCHAR(64) NOT NULL,
  sku VARCHAR(32) NOT NULL REFERENCES products (sku),
  quantity INT NOT NULL,
  PRIMARY KEY (order_id, sku)
);
