# sqlite3 on an in-memory database, the script on standard input (see run-real.sh for the format).
needs: sqlite3
live: none
stdin: @ROOT@/bench/workloads/real/sqlite.sql
argv: sqlite3 :memory:
