"""Runs `tactful report --sql` on DuckDB: loads the logs into the documented tables with the
loader from www/docs/report.md, runs the query, and prints its rows as JSON.

usage: duckdb_check.py WORKDIR LOADER.sql QUERY.sql   (the loader's paths are relative to WORKDIR)
"""
import json
import os
import sys

import duckdb

workdir, loader, query = sys.argv[1:4]
with open(loader) as f:
    loader_sql = f.read()
with open(query) as f:
    query_sql = f.read()
os.chdir(workdir)
con = duckdb.connect()
con.execute(loader_sql)
cursor = con.execute(query_sql)
names = [d[0] for d in cursor.description]
print(json.dumps([dict(zip(names, row)) for row in cursor.fetchall()]))
