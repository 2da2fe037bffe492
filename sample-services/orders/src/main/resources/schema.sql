CREATE TABLE IF NOT EXISTS cart_items (
  cart_id VARCHAR(64) NOT NULL,
  sku VARCHAR(32) NOT NULL,
  quantity INT NOT NULL,
  price_cents BIGINT NOT NULL,
  PRIMARY KEY (cart_id, sku)
);
CREATE TABLE IF NOT EXISTS orders (
  order_id VARCHAR(64) PRIMARY KEY,
  cart_id VARCHAR(64) NOT NULL,
  customer VARCHAR(64) NOT NULL,
  status VARCHAR(32) NOT NULL,
  total_cents BIGINT NOT NULL,
  payment_id VARCHAR(64),
  failure VARCHAR(64),
  created_at TIMESTAMP WITH TIME ZONE NOT NULL
);
