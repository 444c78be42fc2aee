"""Run moto's server with DynamoDB requests serialised.

moto's server is threaded, and its DynamoDB backend evaluates a
transaction's conditions and applies its writes without a lock, so two
concurrent TransactWriteItems calls can both pass a condition that only one
of them should (seen here: two tickets got the same number). DynamoDB
itself makes each request atomic. Serialising DynamoDB and DynamoDB Streams
requests gives the emulator that guarantee; other services (SQS long polls
in particular) stay concurrent.

It also makes TransactWriteItems cost what the transaction touches: moto
5.1.1 snapshots every table of the region with copy.deepcopy before each
transaction (to roll back on a failed condition), so a transaction's cost
grew with everything ever stored (a create took 0.1 s after a few hundred
items). Here only the touched items are snapshotted and restored, together
with the stream records the failed transaction appended.

And it makes copying an item cost its size: moto keeps attributes in a
LimitedSizeDict that re-adds the size of every attribute on each insert
(to enforce the 400 KB limit), so deepcopy, which moto runs on every item a
read returns, was quadratic in the attribute count (a Query of 32 tickets
took ~50 ms). A copy of an item that passed the check has the same size,
so it is rebuilt without re-checking, and attribute values are copied
without going through copy's generic reconstruction; a new item is checked once, when
all its attributes are in (the same limit, since sizes only add up).

And it makes a Query cost its partition, not the table: moto 5.1.1 builds
every Query's candidates from Table.all_items(), which lists and sorts
every item of the table (8 s a request over the scale benchmark's 400,000
items at 30,000 tickets). A Query of the table reads its partition's items
only (moto then sorts them by sort key, as before); a Query of an index
still looks at every item, unsorted, since moto sorts an index's results
by the index's keys and then the table's, a complete order.

Usage: moto_server.py [-H HOST] [-p PORT]
"""

import argparse
import copy
import signal
import sys
import threading

from werkzeug.serving import run_simple

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


class _SharedTables(dict):
    """A view of the backend's tables that moto's rollback copy does not copy."""

    def __deepcopy__(self, memo):
        return self


_moto_transact = DynamoDBBackend.transact_write_items


def _snapshot(backend, transact_items):
    snaps, streams = [], {}
    for item in transact_items:
        op_type, op = next(iter(item.items()))
        table = backend.get_table(op["TableName"])
        key = op["Item"] if op_type == "Put" else op["Key"]
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        current = table.get_item(hash_value, range_value)
        snaps.append((table, hash_value, range_value, copy.deepcopy(current)))
        shard = table.stream_shard
        if shard is not None and id(shard) not in streams:
            streams[id(shard)] = (shard, len(shard.items))
    return snaps, streams


def _restore(snaps, streams):
    for table, hash_value, range_value, old in reversed(snaps):
        if range_value is not None:
            if old is None:
                table.items[hash_value].pop(range_value, None)
            else:
                table.items[hash_value][range_value] = old
        elif old is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = old
    for shard, length in streams.values():
        del shard.items[length:]


def transact_write_items(self, transact_items):
    try:
        snaps, streams = _snapshot(self, transact_items)
    except Exception:
        # A malformed request: let moto answer it exactly as it would.
        return _moto_transact(self, transact_items)
    tables = self.tables
    self.tables = _SharedTables(tables)
    try:
        return _moto_transact(self, transact_items)
    except Exception:
        _restore(snaps, streams)
        raise
    finally:
        self.tables = tables


DynamoDBBackend.transact_write_items = transact_write_items


def _limited_size_dict_deepcopy(self, memo):
    new = LimitedSizeDict.__new__(LimitedSizeDict)
    memo[id(self)] = new
    for key, value in self.items():
        dict.__setitem__(new, key, copy.deepcopy(value, memo))
    return new


LimitedSizeDict.__deepcopy__ = _limited_size_dict_deepcopy


def _dynamo_type_deepcopy(self, memo):
    new = DynamoType.__new__(DynamoType)
    new.__dict__.update(self.__dict__)
    value = self.value
    if isinstance(value, list):
        new.value = [copy.deepcopy(v, memo) for v in value]
    elif isinstance(value, dict):
        new.value = {k: copy.deepcopy(v, memo) for k, v in value.items()}
    elif not isinstance(value, (str, bytes, bool, int, float, type(None))):
        new.value = copy.deepcopy(value, memo)
    return new


DynamoType.__deepcopy__ = _dynamo_type_deepcopy


def _item_init(self, hash_key, range_key, attrs):
    self.hash_key = hash_key
    self.range_key = range_key
    checked = LimitedSizeDict.__new__(LimitedSizeDict)
    size = 0
    for key, value in attrs.items():
        value = DynamoType(value)
        size += bytesize(key) + value.size()
        dict.__setitem__(checked, key, value)
    if size > 405000:  # moto's limit (LimitedSizeDict)
        raise ItemSizeTooLarge
    self.attrs = checked


Item.__init__ = _item_init


_moto_query = Table.query


def _table_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                 scan_index_forward, projection_expressions, index_name=None, *args, **kwargs):
    if index_name:
        def candidates():
            if not self.range_key_attr:
                return list(self.items.values())
            return [item for part in self.items.values() for item in part.values()]
    elif self.range_key_attr:
        def candidates():
            return list(self.items.get(hash_key, {}).values())
    else:
        def candidates():
            item = self.items.get(hash_key)
            return [] if item is None else [item]
    # Requests are serialised (SerializeDynamoDB), so the override is seen
    # by this Query only.
    self.all_items = candidates
    try:
        return _moto_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                           scan_index_forward, projection_expressions, index_name, *args, **kwargs)
    finally:
        del self.all_items


Table.query = _table_query


class SerializeDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self.app(environ, start_response)
        with self.lock:
            body = self.app(environ, start_response)
            try:
                data = b"".join(body)
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        return [data]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=4566)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, SerializeDynamoDB(app), threaded=True)


if __name__ == "__main__":
    main()
