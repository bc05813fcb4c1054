-- sqlite.sql — a deterministic SQLite script for the benchmark suite, run as
--     sqlite3 :memory: < bench/workloads/real/sqlite.sql
-- (see sqlite.cmd). Everything lives in an in-memory database, whose pages SQLite keeps in
-- its page cache, allocated with malloc: the allocator under test holds the whole database,
-- about 150 MiB at the peak under glibc. Rows are inserted, indexed, updated to longer and shorter
-- values (rows move between pages, the B-trees split and merge), deleted in a scattered
-- pattern, sorted and grouped (the sorter allocates its own buffers), then the table is
-- rebuilt by VACUUM and dropped. No random functions: every run does the same work. The
-- output is a few checksums, the same for every allocator.
--
-- The parameter @scale (default 1.0; `sqlite3 :memory: -cmd ".parameter set @scale 0.05"`, which
-- is what `run-real.sh sqlite 0.05` does) scales the number of rows: 120000 * @scale items,
-- refilled up to 1.4 times that.
PRAGMA cache_size = -400000;
-- The size first: PRAGMA temp_store drops the temp database, where the CLI keeps @scale.
CREATE TABLE size(n INTEGER);
INSERT INTO size VALUES (max(100, CAST(120000 * coalesce(@scale, 1.0) AS INTEGER)));
PRAGMA temp_store = MEMORY;
CREATE TABLE item(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, body TEXT);
CREATE TABLE tag(item_id INTEGER, tag TEXT);

-- 120000 items (at scale 1) with bodies of 20..400 bytes.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < (SELECT n FROM size))
INSERT INTO item
SELECT i, (i * 7919) % 1009, printf('item-%07d', (i * 104729) % 1000003),
       printf('%.*c', 20 + (i * 31) % 381, char(97 + i % 26))
FROM n;
CREATE INDEX item_grp ON item(grp);
CREATE INDEX item_name ON item(name);

-- Two tags per item.
INSERT INTO tag SELECT id, printf('t%03d', id % 997) FROM item;
INSERT INTO tag SELECT id, printf('u%03d', (id * 13) % 991) FROM item;
CREATE INDEX tag_item ON tag(item_id);
CREATE INDEX tag_tag ON tag(tag);

-- Grow a third of the bodies, shrink another third.
UPDATE item SET body = body || printf('%.*c', 100 + id % 200, 'g') WHERE id % 3 = 0;
UPDATE item SET body = substr(body, 1, 10) WHERE id % 3 = 1;

-- Scattered deletes: about 40 % of the rows, all over the table.
DELETE FROM tag WHERE item_id IN (SELECT id FROM item WHERE (id * 2654435761) % 5 < 2);
DELETE FROM item WHERE (id * 2654435761) % 5 < 2;

-- Sorting and grouping.
SELECT 'groups', count(*), sum(n), sum(len) FROM
  (SELECT grp, count(*) AS n, sum(length(body)) AS len FROM item GROUP BY grp ORDER BY len DESC);
SELECT 'tags', count(*), sum(length(tag)) FROM
  (SELECT t.tag AS tag, count(*) FROM tag t JOIN item i ON i.id = t.item_id GROUP BY t.tag);
SELECT 'names', count(DISTINCT name), max(name) FROM (SELECT name FROM item ORDER BY body, name);

-- Refill what was deleted, with new sizes, then rebuild and drop.
WITH RECURSIVE n(i) AS (SELECT (SELECT n FROM size) + 1 UNION ALL SELECT i + 1 FROM n
                        WHERE i < (SELECT n * 7 / 5 FROM size))
INSERT INTO item
SELECT i, i % 1009, printf('new-%07d', i), printf('%.*c', 50 + (i * 17) % 500, 'n') FROM n;
SELECT 'items', count(*), sum(length(body)) FROM item;
VACUUM;
SELECT 'after vacuum', count(*), sum(length(body)) FROM item;
DROP TABLE tag;
DROP TABLE item;
DROP TABLE size;
