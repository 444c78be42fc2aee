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
only (moto then sorts them by sort key, as before). A Query of an index
has no partition to read, so the first one looks at every item and keeps
its partition's, sorted in moto's order (the index's keys, then the
table's: a complete order); the next Queries of that partition reuse them
until a request that may write arrives (any DynamoDB request but a read),
which drops them all.

And it keeps a stream record in the size of its JSON: moto 5.1.1 keeps
every record of a table's stream (DynamoDB keeps 24 hours) as nested
dicts with both images. Each record is kept as its compressed JSON and
decoded when a reader asks for it: the same records, the same order, the
same content (the scale benchmark's reporters table at 10,000 tickets:
1.68 GB of moto before, 1.12 GB after).

Usage: moto_server.py [-H HOST] [-p PORT]
"""

import argparse
import copy
import json
import signal
import sys
import threading
import zlib

from werkzeug.serving import run_simple

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import StreamRecord, Table
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
_moto_sorted_items = Table.sorted_items

# Bumped by every DynamoDB request that may write (requests are serialised),
# so an index partition sorted for one Query serves the next ones only
# while nothing has changed.
_generation = [0]
_READS = frozenset((
    "GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems",
    "DescribeTable", "ListTables", "DescribeTimeToLive", "DescribeContinuousBackups",
    "ListTagsOfResource", "DescribeStream", "ListStreams", "GetShardIterator", "GetRecords",
))


def _index_partition(table, index_name, hash_key):
    """The items moto would keep for a Query of the index's partition, in its order."""
    cache = table.__dict__.setdefault("_index_partitions", {})
    if cache.get("generation") != _generation[0]:
        cache.clear()
        cache["generation"] = _generation[0]
    key = (index_name, hash_key)
    hit = cache.get(key)
    if hit is not None:
        return hit
    index = next(i for i in table.all_indexes() if i.name == index_name)
    hash_attr = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
    range_attr = next((k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"), None)
    if range_attr is None:
        # moto's fallback when the index has no sort key.
        range_attr = table.range_key_attr or table.hash_key_attr
    parts = table.items.values() if table.range_key_attr else [table.items]
    found = []
    for part in parts:
        for item in part.values():
            value = item.attrs.get(hash_attr)
            if value is not None and value == hash_key and item.attrs.get(range_attr):
                found.append(item)
    found = _moto_sorted_items(table, [hash_attr, table.hash_key_attr], [range_attr, table.range_key_attr], found)
    cache[key] = found
    return found


def _table_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                 scan_index_forward, projection_expressions, index_name=None, *args, **kwargs):
    if index_name and any(i.name == index_name for i in self.all_indexes()):
        partition = _index_partition(self, index_name, hash_key)

        def candidates():
            return list(partition)

        # Already in moto's order for this index.
        self.sorted_items = lambda hash_attrs, range_attrs, items: items
    elif index_name:
        # An unknown index: moto's own error.
        return _moto_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                           scan_index_forward, projection_expressions, index_name, *args, **kwargs)
    elif self.range_key_attr:
        def candidates():
            return list(self.items.get(hash_key, {}).values())
    else:
        def candidates():
            item = self.items.get(hash_key)
            return [] if item is None else [item]
    # Requests are serialised (SerializeDynamoDB), so the overrides are seen
    # by this Query only.
    self.all_items = candidates
    try:
        return _moto_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                           scan_index_forward, projection_expressions, index_name, *args, **kwargs)
    finally:
        del self.all_items
        self.__dict__.pop("sorted_items", None)


Table.query = _table_query


_moto_record_init = StreamRecord.__init__


def _record_init(self, *args, **kwargs):
    _moto_record_init(self, *args, **kwargs)
    raw = self.__dict__.pop("_raw")
    self.packed = zlib.compress(json.dumps(raw, separators=(",", ":")).encode(), 1)


def _record_get(self):
    # moto's constructor fills the record in place before it is packed.
    raw = self.__dict__.get("_raw")
    if raw is not None:
        return raw
    return json.loads(zlib.decompress(self.packed))


def _record_set(self, value):
    self.__dict__["_raw"] = value


StreamRecord.__init__ = _record_init
StreamRecord.record = property(_record_get, _record_set)


class SerializeDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB"):
            return self.app(environ, start_response)
        with self.lock:
            if target.rpartition(".")[2] not in _READS:
                _generation[0] += 1
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
