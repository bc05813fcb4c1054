# sqlite3 on an in-memory database, the script on standard input (see run-real.sh for the format);
# the scale sets the script's @scale parameter (the number of rows).
needs: sqlite3
live: none
stdin: @ROOT@/bench/workloads/real/sqlite.sql
scale: 1.0
argv: sqlite3 :memory:
arg: -cmd
arg: .parameter set @scale @SCALE@
