"""Django's database cache with an atomic ``incr``, for counters shared by every web process.

Django's ``DatabaseCache.incr`` reads the value and writes it back in two statements, so two
processes counting at once lose a count. Here the row is locked first (an UPDATE that changes
nothing takes the row lock on PostgreSQL and the write lock on SQLite), then read and written in
the same transaction. The table is created by ``createcachetable``, run after every ``migrate``
(``jobs.apps``).
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone


class AtomicDatabaseCache(DatabaseCache):
    def incr(self, key, delta=1, version=None):  # type: ignore[no-untyped-def]
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {quote('expires')} = {quote('expires')} "
                f"WHERE {quote('cache_key')} = %s",
                [key],
            )
            cursor.execute(
                f"SELECT {quote('value')} FROM {table} "
                f"WHERE {quote('cache_key')} = %s AND {quote('expires')} > %s",
                [key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote('value')} = %s WHERE {quote('cache_key')} = %s",
                [encoded, key],
            )
        return value
