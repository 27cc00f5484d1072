"""Benchmarks: `make bench`, or `python -m benchmarks [NAME ...]`.

The contract for a benchmark module:

- It is a module `benchmarks/bench_<name>.py` that defines `main() -> None`.
- `main()` seeds what it measures (for instance through the `seed_scale`
  management command), runs it, and prints each figure on its own line next
  to its target, so that a reader sees at once whether the target is met.
  It raises (or lets an exception out) when it cannot measure.
- Django is set up before any module is imported, so a module may import
  models and services at the top. `make bench` runs the modules on a migrated
  database on real PostgreSQL and Redis (scripts/services.sh); running
  `python -m benchmarks` directly uses whatever DATABASE_URL and REDIS_URL say.
- Settings are the ordinary ones: DEBUG is on unless DJANGO_DEBUG=0, and then
  Django keeps every query in `connection.queries`; call
  `django.db.reset_queries()` between rounds of a long loop.

The runner imports and runs every `bench_*` module in name order, or only the
ones named on the command line (`python -m benchmarks referrals` runs
`bench_referrals`); it runs them all even when one fails, and exits non-zero
if any failed. When it runs more than one, each runs in its own copy of the
migrated database (dropped afterwards), so no module sees another's panel; a
single module runs in the database DATABASE_URL names, where a panel seeded
by an earlier run may be reused.
"""
