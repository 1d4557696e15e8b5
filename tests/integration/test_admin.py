#!/usr/bin/python3
"""test_admin.py - topic administration (issue 2, "What must work" 3) with the
confluent_kafka AdminClient, kafka-python's KafkaAdminClient and raw kwire requests for
what neither client has (DeleteRecords, IncrementalAlterConfigs):

 create (and its errors: exists, replication factor, bad config, zero partitions), delete,
 create_partitions (and shrinking: INVALID_PARTITIONS), describe_configs / alter_configs
 (AlterConfigs replaces the whole override set), IncrementalAlterConfigs (set / delete one
 key, others kept), DeleteRecords advancing the low watermark; then a restart: topics,
 partition counts, configs and low watermarks are all still there, deleted topics stay
 deleted, the data is readable.
"""
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import ConfigResource, NewPartitions, NewTopic
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource as KPConfigResource
from kafka.admin import ConfigResourceType
from kafka.admin import NewPartitions as KPNewPartitions
from kafka.admin import NewTopic as KPNewTopic

import harness
import ck
import kwire


def admin_call(fs, key, timeout=20):
    return fs[key].result(timeout)


def expect_kafka_error(fn, code, what):
    try:
        fn()
    except KafkaException as e:
        err = e.args[0]
        if err.code() != code:
            raise AssertionError('%s: %s, expected error %d' % (what, err, code))
        return
    raise AssertionError('%s: succeeded, expected error %d' % (what, code))


def topic_partitions(b, name):
    md = ck.admin(b.kafka).list_topics(timeout=10)  # all topics: never auto-creates
    t = md.topics.get(name)
    return None if t is None or t.error is not None else len(t.partitions)


def describe(b, name):
    a = ck.admin(b.kafka)
    res = ConfigResource('topic', name)
    entries = admin_call(a.describe_configs([res], request_timeout=20), res)
    return {k: e for k, e in entries.items()}


def ck_create(b, state):
    a = ck.admin(b.kafka)
    admin_call(a.create_topics([NewTopic('adm1', 2, 1, config={'retention.ms': '123456'})],
                               operation_timeout=10), 'adm1')
    admin_call(a.create_topics([NewTopic('adm-del', 1, 1)]), 'adm-del')
    if topic_partitions(b, 'adm1') != 2:
        raise AssertionError('adm1 has %s partitions, expected 2' % topic_partitions(b, 'adm1'))
    state['created'] = True


def ck_create_errors(b):
    a = ck.admin(b.kafka)
    cases = [
        (NewTopic('adm1', 2, 1), KafkaError.TOPIC_ALREADY_EXISTS, 'existing topic'),
        (NewTopic('adm-rf', 1, 3), KafkaError.INVALID_REPLICATION_FACTOR,
         'replication factor 3 on one node'),
        (NewTopic('adm-cfg', 1, 1, config={'no.such.config': '1'}), KafkaError.INVALID_CONFIG,
         'unknown config'),
        (NewTopic('adm-val', 1, 1, config={'retention.ms': 'abc'}), KafkaError.INVALID_CONFIG,
         'bad config value'),
        (NewTopic('adm-zero', 0, 1), KafkaError.INVALID_PARTITIONS, 'zero partitions'),
    ]
    problems = []
    for nt, code, what in cases:
        try:
            admin_call(a.create_topics([nt]), nt.topic)
            problems.append('%s: succeeded' % what)
        except KafkaException as e:
            if e.args[0].code() != code:
                problems.append('%s: %s, expected %s' % (what, e.args[0], code))
        except ValueError as e:  # the client refused it locally
            harness.log('%s: rejected by the client: %s' % (what, e))
    for name in ('adm-rf', 'adm-cfg', 'adm-val', 'adm-zero'):
        if topic_partitions(b, name) is not None:
            problems.append('%s was created anyway' % name)
    if problems:
        raise AssertionError('; '.join(problems))


def ck_create_partitions(b):
    a = ck.admin(b.kafka)
    admin_call(a.create_partitions([NewPartitions('adm1', 4)]), 'adm1')
    harness.wait_until(lambda: topic_partitions(b, 'adm1') == 4, 10, 'adm1 with 4 partitions')
    expect_kafka_error(lambda: admin_call(a.create_partitions([NewPartitions('adm1', 3)]),
                                          'adm1'), KafkaError.INVALID_PARTITIONS,
                       'shrinking adm1 to 3 partitions')
    p = ck.producer(b.kafka)
    for part in range(4):
        p.produce('adm1', value=b'p%d' % part, partition=part)
    if p.flush(15):
        raise AssertionError('produce to the new partitions failed')
    for part in range(4):
        if ck.watermarks(b.kafka, 'adm1', part)[1] != 1:
            raise AssertionError('partition %d high watermark %s' % (
                part, ck.watermarks(b.kafka, 'adm1', part)))


def ck_configs(b):
    d = describe(b, 'adm1')
    e = d.get('retention.ms')
    if e is None or e.value != '123456' or e.is_default:
        raise AssertionError('retention.ms entry: %r' % e)
    if 'segment.bytes' not in d or not d['segment.bytes'].is_default:
        raise AssertionError('segment.bytes default missing or not default: %r' %
                             d.get('segment.bytes'))
    a = ck.admin(b.kafka)
    res = ConfigResource('topic', 'adm1', set_config={'retention.ms': '654321',
                                                      'segment.bytes': '2000000'})
    admin_call(a.alter_configs([res]), res)
    d = describe(b, 'adm1')
    if d['retention.ms'].value != '654321' or d['segment.bytes'].value != '2000000':
        raise AssertionError('after alter_configs: retention.ms %s, segment.bytes %s' % (
            d['retention.ms'].value, d['segment.bytes'].value))
    # AlterConfigs replaces the whole override set: segment.bytes goes back to default
    res = ConfigResource('topic', 'adm1', set_config={'retention.ms': '654321'})
    admin_call(a.alter_configs([res]), res)
    d = describe(b, 'adm1')
    if not d['segment.bytes'].is_default or d['retention.ms'].value != '654321':
        raise AssertionError('AlterConfigs without segment.bytes kept it: %s (default %s)' % (
            d['segment.bytes'].value, d['segment.bytes'].is_default))
    bad = ConfigResource('topic', 'adm1', set_config={'retention.ms': 'soon'})
    expect_kafka_error(lambda: admin_call(a.alter_configs([bad]), bad),
                       KafkaError.INVALID_CONFIG, 'alter_configs retention.ms=soon')
    if describe(b, 'adm1')['retention.ms'].value != '654321':
        raise AssertionError('a rejected alter changed retention.ms')


def ck_delete(b):
    a = ck.admin(b.kafka)
    admin_call(a.delete_topics(['adm-del'], operation_timeout=10), 'adm-del')
    harness.wait_until(lambda: topic_partitions(b, 'adm-del') is None, 10, 'adm-del gone')
    expect_kafka_error(lambda: admin_call(a.delete_topics(['adm-del']), 'adm-del'),
                       KafkaError.UNKNOWN_TOPIC_OR_PART, 'deleting adm-del again')


def kp_admin(b):
    return KafkaAdminClient(bootstrap_servers=b.kafka, client_id='runnel-test-kpadmin',
                            request_timeout_ms=20000)


def kp_describe(adm, name):
    resp = adm.describe_configs([KPConfigResource(ConfigResourceType.TOPIC, name)])
    out = {}
    for r in resp:
        for err, msg, rtype, rname, entries in r.resources:
            if err != 0:
                raise AssertionError('DescribeConfigs %s: %s %s' % (name, kwire.errname(err),
                                                                   msg))
            for e in entries:
                out[e[0]] = e[1]
    return out


def kafka_python_admin(b):
    adm = kp_admin(b)
    try:
        adm.create_topics([KPNewTopic(name='adm2', num_partitions=3, replication_factor=1,
                                      topic_configs={'segment.bytes': '1048576'}),
                           KPNewTopic(name='adm2-del', num_partitions=1,
                                      replication_factor=1)], timeout_ms=10000)
        if topic_partitions(b, 'adm2') != 3:
            raise AssertionError('adm2 has %s partitions' % topic_partitions(b, 'adm2'))
        c = kp_describe(adm, 'adm2')
        if c.get('segment.bytes') != '1048576':
            raise AssertionError('kafka-python describe_configs adm2: %r' % c)
        resp = adm.alter_configs([KPConfigResource(ConfigResourceType.TOPIC, 'adm2',
                                                   configs={'retention.ms': '777777'})])
        for err, msg, *_ in resp.resources:
            if err != 0:
                raise AssertionError('alter_configs: %s %s' % (kwire.errname(err), msg))
        c = kp_describe(adm, 'adm2')
        if c.get('retention.ms') != '777777':
            raise AssertionError('after alter_configs: %r' % c.get('retention.ms'))
        adm.create_partitions({'adm2': KPNewPartitions(5)})
        harness.wait_until(lambda: topic_partitions(b, 'adm2') == 5, 10, 'adm2 with 5 '
                           'partitions')
        adm.delete_topics(['adm2-del'], timeout_ms=10000)
        harness.wait_until(lambda: topic_partitions(b, 'adm2-del') is None, 10,
                           'adm2-del gone')
    finally:
        adm.close()


def incremental_alter(b):
    with kwire.Conn(b.kafka) as c:
        err, msg = kwire.incremental_alter_configs(c, 'adm1', [
            ('segment.ms', kwire.OP_SET, '3600000')])
        if err != 0:
            raise AssertionError('IncrementalAlterConfigs SET: %s %s' % (kwire.errname(err),
                                                                        msg))
        err, cfg = kwire.describe_configs(c, 'adm1')
        if cfg.get('segment.ms') != '3600000' or cfg.get('retention.ms') != '654321':
            raise AssertionError('after SET segment.ms: segment.ms %s, retention.ms %s' % (
                cfg.get('segment.ms'), cfg.get('retention.ms')))
        err, msg = kwire.incremental_alter_configs(c, 'adm1', [
            ('segment.ms', kwire.OP_DELETE, None)])
        if err != 0:
            raise AssertionError('IncrementalAlterConfigs DELETE: %s %s' % (
                kwire.errname(err), msg))
        d = describe(b, 'adm1')
        if not d['segment.ms'].is_default or d['retention.ms'].value != '654321':
            raise AssertionError('after DELETE segment.ms: %s (default %s), retention.ms %s'
                                 % (d['segment.ms'].value, d['segment.ms'].is_default,
                                    d['retention.ms'].value))
        err, msg = kwire.incremental_alter_configs(c, 'adm1', [
            ('no.such.config', kwire.OP_SET, '1')])
        if err != 40:
            raise AssertionError('IncrementalAlterConfigs of an unknown key: %s, expected '
                                 'INVALID_CONFIG(40)' % kwire.errname(err))


def delete_records(b, state):
    p = ck.producer(b.kafka)
    for i in range(19):
        p.produce('adm1', value=b'd%d' % i, partition=0)
    for i in range(9):
        p.produce('adm1', value=b'e%d' % i, partition=1)
    if p.flush(15):
        raise AssertionError('produce failed')
    # partitions 0 and 1 now hold 20 and 10 records (one each from create_partitions)
    with kwire.Conn(b.kafka) as c:
        err, low = kwire.delete_records(c, 'adm1', 0, 5)
        if (err, low) != (0, 5):
            raise AssertionError('DeleteRecords p0 to 5: %s low %d' % (kwire.errname(err), low))
        err, low = kwire.delete_records(c, 'adm1', 1, -1)  # -1: up to the high watermark
        if (err, low) != (0, 10):
            raise AssertionError('DeleteRecords p1 to -1: %s low %d, expected 10' % (
                kwire.errname(err), low))
        err, low = kwire.delete_records(c, 'adm1', 0, 1000)
        if err != 1:
            raise AssertionError('DeleteRecords past the end: %s, expected '
                                 'OFFSET_OUT_OF_RANGE(1)' % kwire.errname(err))
        err, low = kwire.delete_records(c, 'adm1', 0, 3)  # below the low watermark: no-op
        if err != 0 or low != 5:
            raise AssertionError('DeleteRecords below the low watermark: %s low %d' % (
                kwire.errname(err), low))
    for part, want in ((0, (5, 20)), (1, (10, 10))):
        got = ck.watermarks(b.kafka, 'adm1', part)
        if tuple(got) != want:
            raise AssertionError('partition %d watermarks %s, expected %s' % (part, got, want))
    recs = ck.consume_all(b.kafka, 'adm1', 1)
    if [r['offset'] for r in recs] != list(range(5, 20)):
        raise AssertionError('partition 0 reads offsets %s' % [r['offset'] for r in recs])
    state['deleted_records'] = True


def after_restart(b, state):
    b.restart()
    problems = []
    for name, parts in (('adm1', 4), ('adm2', 5), ('adm-del', None), ('adm2-del', None)):
        got = topic_partitions(b, name)
        if got != parts:
            problems.append('%s: %s partitions, expected %s' % (name, got, parts))
    if topic_partitions(b, 'adm1'):
        d = describe(b, 'adm1')
        if d['retention.ms'].value != '654321' or not d['segment.bytes'].is_default:
            problems.append('adm1 configs: retention.ms %s, segment.bytes %s' % (
                d['retention.ms'].value, d['segment.bytes'].value))
    if topic_partitions(b, 'adm2'):
        d = describe(b, 'adm2')
        if d['retention.ms'].value != '777777':
            problems.append('adm2 retention.ms %s' % d['retention.ms'].value)
    if state.get('deleted_records'):
        for part, want in ((0, (5, 20)), (1, (10, 10))):
            got = tuple(ck.watermarks(b.kafka, 'adm1', part))
            if got != want:
                problems.append('adm1 p%d watermarks %s, expected %s' % (part, got, want))
        recs = ck.consume_all(b.kafka, 'adm1', 1)
        if [r['value'] for r in recs] != [b'd%d' % i for i in range(4, 19)]:
            problems.append('adm1 p0 values after restart: %r' % [r['value'] for r in recs][:5])
    if problems:
        raise AssertionError('; '.join(problems))


def body(t):
    b = t.broker('broker')
    state = {}
    t.case('confluent_kafka create_topics', ck_create, b, state)
    if not state.get('created'):
        return
    t.case('confluent_kafka create_topics errors (exists, rf, config, partitions)',
           ck_create_errors, b)
    t.case('confluent_kafka create_partitions (grow; shrink rejected)', ck_create_partitions, b)
    t.case('confluent_kafka describe_configs / alter_configs (whole-set replace)', ck_configs, b)
    t.case('confluent_kafka delete_topics', ck_delete, b)
    t.case('kafka-python create/describe_configs/alter_configs/create_partitions/delete',
           kafka_python_admin, b)
    t.case('IncrementalAlterConfigs set/delete one key (kwire)', incremental_alter, b)
    t.case('DeleteRecords advances the low watermark (kwire)', delete_records, b, state)
    t.case('topics, partitions, configs and low watermarks survive a restart', after_restart,
           b, state)


if __name__ == '__main__':
    harness.main(body)
