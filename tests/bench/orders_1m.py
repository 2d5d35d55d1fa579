"""Writes about 1,000,000 real order lines for the `tactful train` speed benchmark.

The largest real order table in ../shared/data is Instacart's (32,290 lines, 3,214 baskets),
so it is repeated 31 times: each copy's orders and customers get new ids, and orders are dated
one minute apart, copy after copy, so decay and attach windows have real work to do. The
baskets themselves are the real ones. Usage: orders_1m.py DATA_DIR OUT.csv
"""

import csv
import gzip
import sys

data, out = sys.argv[1], sys.argv[2]
users = {}
with gzip.open(f"{data}/instacart/orders.csv.gz", "rt", newline="") as f:
    for row in csv.DictReader(f):
        users[row["order_id"]] = row["user_id"]
lines = []
with gzip.open(f"{data}/instacart/order_products__prior.csv.gz", "rt", newline="") as f:
    for row in csv.DictReader(f):
        lines.append((row["order_id"], row["product_id"]))
order_index = {}
for order, _ in lines:
    order_index.setdefault(order, len(order_index))
base = 1_700_000_000
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["order_id", "product_id", "timestamp", "customer_id"])
    for copy in range(31):
        for order, product in lines:
            minute = copy * len(order_index) + order_index[order]
            w.writerow([f"{order}-{copy}", product, base + 60 * minute, f"{users.get(order, 'NA')}-{copy}"])
