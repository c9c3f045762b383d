"""Database expressions more than one app needs."""

from django.db.models import FloatField, Func


class SecondsBetween(Func):
    """`later` − `earlier` in seconds, as a float: PostgreSQL subtracts timestamps, SQLite (the quick suite,
    one office PC) has no interval type and counts in Julian days."""

    arity = 2
    arg_joiner = " - "
    template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)"
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        later, earlier = (compiler.compile(e) for e in self.get_source_expressions())
        return f"((julianday({later[0]}) - julianday({earlier[0]})) * 86400.0)", [*later[1], *earlier[1]]
