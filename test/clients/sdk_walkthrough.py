#!/usr/bin/python3
"""Drives Octavius through openstacksdk's load_balancer proxy, as an SDK user would.

Run by test/clients/sdk.test.ts with Debian's /usr/bin/python3 (openstacksdk 0.101). It only acts
and records: every step prints one JSON line on stdout, {"step": name, "result": ...} with what the
SDK returned (resources as `to_dict(computed=False)`, i.e. the SDK's attribute names), or
{"step": name, "error": ...} after which the rest of that section is skipped (its later steps
need the earlier ones; the other sections still run).
The test judges the results. stderr carries the SDK's HTTP debug log with a "STEP: <name>" marker
before each step, so a failure can be shown with the exchanges that caused it.

Usage: sdk_walkthrough.py '<json: {"cloud", "subnet", "database", "other_project"}>'
(clouds.yaml comes from OS_CLIENT_CONFIG_FILE.)
"""
import json
import sqlite3
import sys
import time
import traceback
import uuid

import openstack
from openstack import exceptions

PARAMS = json.loads(sys.argv[1])
SUBNET = PARAMS['subnet']
WAIT = {'interval': 0.1, 'wait': 30}


def emit(record):
    sys.stdout.write(json.dumps(record, default=str) + '\n')
    sys.stdout.flush()


class StepFailed(Exception):
    """Ends the current section: its later steps need what the failed one should have made."""


def step(name, fn):
    sys.stderr.write(f'STEP: {name}\n')
    sys.stderr.flush()
    started = time.monotonic()
    try:
        result = fn()
    except Exception as e:  # noqa: BLE001 - every failure is reported, then its section stops
        emit({'step': name, 'error': f'{type(e).__name__}: {e}', 'traceback': traceback.format_exc(),
              'ms': round((time.monotonic() - started) * 1000)})
        raise StepFailed(name) from e
    emit({'step': name, 'result': result, 'ms': round((time.monotonic() - started) * 1000)})
    return result


def section(fn, *args):
    """Sections are independent: one that breaks does not keep the others from running."""
    try:
        fn(*args)
    except StepFailed:
        pass


def last(*values):
    """For one-line steps: the calls run in order, the step's result is the last value."""
    return values[-1]


def d(resource):
    return None if resource is None else resource.to_dict(computed=False)


def raw(lbp, method, path, **kwargs):
    """A request through the proxy's own adapter (discovered endpoint, session), for what
    openstacksdk 0.101 has no call for. It does not raise on errors: the status is recorded."""
    res = lbp.request(path, method, **kwargs)
    try:
        body = res.json()
    except ValueError:
        body = res.text
    return {'status': res.status_code, 'body': body}


def failure(fn):
    """Runs a call that must fail; returns what the SDK raised (or that it did not)."""
    try:
        fn()
    except exceptions.SDKException as e:
        return {'exception': type(e).__name__, 'message': str(e),
                'status': getattr(e, 'status_code', None), 'request_id': getattr(e, 'request_id', None)}
    return {'exception': None}


def wait_gone(fetch, timeout=30):
    """openstacksdk 0.101 has no wait_for_delete for load balancers: poll until the GET is a 404."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fetch()
        except exceptions.NotFoundException:
            return True
        if time.monotonic() > deadline:
            raise TimeoutError('still there after %ss' % timeout)
        time.sleep(0.1)


def load_balancer_tree(lbp):
    """A load balancer with every kind of child, its amphorae, and deletes; then a second one in
    another project for the amphora delete and the cascade delete."""
    lb = step('lb_create', lambda: d(lbp.create_load_balancer(
        name='sdk-lb1', description='first', vip_subnet_id=SUBNET, tags=['t1'])))
    lb_id = lb['id']
    wait = lambda: lbp.wait_for_load_balancer(lb_id, **WAIT)  # noqa: E731
    step('lb_wait', lambda: d(wait()))
    step('lb_get', lambda: d(lbp.get_load_balancer(lb_id)))
    step('lb_find', lambda: d(lbp.find_load_balancer('sdk-lb1')))
    step('lb_list', lambda: [d(x) for x in lbp.load_balancers(name='sdk-lb1')])
    step('lb_list_tags', lambda: [x.id for x in lbp.load_balancers(tags='t1')])
    step('lb_update', lambda: last(lbp.update_load_balancer(lb_id, name='sdk-lb1b', description='second'), d(wait())))
    step('lb_stats', lambda: d(lbp.get_load_balancer_statistics(lb_id)))

    # A second connection that names its project the noauth way (X-Project-Id on every request).
    other = openstack.connect(cloud=PARAMS['cloud'])
    other.session.additional_headers['X-Project-Id'] = PARAMS['other_project']
    other_lb = step('lb_create_other_project', lambda: d(other.load_balancer.create_load_balancer(
        name='sdk-lb-other', vip_subnet_id=SUBNET)))
    step('lb_wait_other', lambda: d(lbp.wait_for_load_balancer(other_lb['id'], **WAIT)))
    step('lb_list_project', lambda: [x.id for x in lbp.load_balancers(project_id=PARAMS['other_project'])])

    # --- listener, pool, member, health monitor ------------------------------------------------
    ls = step('listener_create', lambda: d(lbp.create_listener(
        name='sdk-ls1', protocol='HTTP', protocol_port=80, load_balancer_id=lb_id, connection_limit=10)))
    ls_id = ls['id']
    step('listener_wait', lambda: d(wait()))
    step('listener_list', lambda: [x.id for x in lbp.listeners(load_balancer_id=lb_id)])
    step('listener_find', lambda: d(lbp.find_listener('sdk-ls1')))
    step('listener_update', lambda: last(lbp.update_listener(ls_id, description='front'), wait(),
                                         d(lbp.get_listener(ls_id))))
    step('listener_stats', lambda: d(lbp.get_listener_statistics(ls_id)))

    pl = step('pool_create', lambda: d(lbp.create_pool(
        name='sdk-pl1', protocol='HTTP', lb_algorithm='ROUND_ROBIN', listener_id=ls_id)))
    pl_id = pl['id']
    step('pool_wait', lambda: d(wait()))
    step('pool_list', lambda: [x.id for x in lbp.pools(loadbalancer_id=lb_id)])
    step('pool_find', lambda: d(lbp.find_pool('sdk-pl1')))
    step('pool_update', lambda: last(lbp.update_pool(pl_id, description='back'), wait(), d(lbp.get_pool(pl_id))))

    mb = step('member_create', lambda: d(lbp.create_member(
        pl_id, name='sdk-mb1', address='10.0.0.5', protocol_port=80, subnet_id=SUBNET)))
    mb_id = mb['id']
    step('member_wait', lambda: d(wait()))
    step('member_list', lambda: [x.id for x in lbp.members(pl_id)])
    step('member_find', lambda: d(lbp.find_member('sdk-mb1', pl_id)))
    step('member_get', lambda: d(lbp.get_member(mb_id, pl_id)))
    step('member_update', lambda: last(lbp.update_member(mb_id, pl_id, weight=3), wait(),
                                       d(lbp.get_member(mb_id, pl_id))))

    def batch():
        # openstacksdk 0.101 has no call for the batch update; its adapter is what users fall back to.
        res = raw(lbp, 'PUT', f'/lbaas/pools/{pl_id}/members', json={'members': [
            {'address': '10.0.0.5', 'protocol_port': 80, 'subnet_id': SUBNET, 'weight': 4},
            {'address': '10.0.0.6', 'protocol_port': 80, 'name': 'sdk-mb2'},
        ]})
        wait()
        return {'status': res['status'], 'body': res['body'], 'members': [d(x) for x in lbp.members(pl_id)]}
    step('member_batch_update', batch)

    hm = step('hm_create', lambda: d(lbp.create_health_monitor(
        pool_id=pl_id, name='sdk-hm1', type='HTTP', delay=5, timeout=3, max_retries=2)))
    hm_id = hm['id']
    step('hm_wait', lambda: d(wait()))
    step('hm_find', lambda: d(lbp.find_health_monitor('sdk-hm1')))
    step('hm_list', lambda: [x.id for x in lbp.health_monitors()])
    step('hm_update', lambda: last(lbp.update_health_monitor(hm_id, delay=6), wait(), d(lbp.get_health_monitor(hm_id))))

    # --- L7 ------------------------------------------------------------------------------------
    p = step('l7policy_create', lambda: d(lbp.create_l7_policy(
        listener_id=ls_id, name='sdk-l7p1', action='REDIRECT_TO_POOL', redirect_pool_id=pl_id)))
    p_id = p['id']
    step('l7policy_wait', lambda: d(wait()))
    step('l7policy_find', lambda: d(lbp.find_l7_policy('sdk-l7p1')))
    step('l7policy_list', lambda: [x.id for x in lbp.l7_policies(listener_id=ls_id)])
    step('l7policy_update', lambda: last(lbp.update_l7_policy(p_id, description='d'), wait(), d(lbp.get_l7_policy(p_id))))
    r = step('l7rule_create', lambda: d(lbp.create_l7_rule(p_id, compare_type='EQUAL_TO', type='PATH', rule_value='/x')))
    r_id = r['id']
    step('l7rule_wait', lambda: d(wait()))
    step('l7rule_list', lambda: [x.id for x in lbp.l7_rules(p_id)])
    step('l7rule_get', lambda: d(lbp.get_l7_rule(r_id, p_id)))
    step('l7rule_update', lambda: last(lbp.update_l7_rule(r_id, p_id, rule_value='/y'), wait(), d(lbp.get_l7_rule(r_id, p_id))))

    # --- statuses and errors while the tree exists ---------------------------------------------
    # openstacksdk 0.101 has no call for the status tree either.
    step('lb_status', lambda: raw(lbp, 'GET', f'/lbaas/loadbalancers/{lb_id}/status'))
    step('error_delete_with_children', lambda: failure(lambda: lbp.delete_load_balancer(lb_id)))
    step('error_not_found', lambda: failure(lambda: lbp.get_load_balancer(str(uuid.uuid4()))))
    step('error_find_missing', lambda: failure(lambda: lbp.find_load_balancer('sdk-nosuch', ignore_missing=False)))

    # --- amphorae ------------------------------------------------------------------------------
    amps = step('amphora_list', lambda: [d(x) for x in lbp.amphorae(loadbalancer_id=lb_id)])
    amp_id = amps[0]['id'] if amps else None
    step('amphora_get', lambda: d(lbp.get_amphora(amp_id)))
    step('amphora_find', lambda: d(lbp.find_amphora(amp_id)))
    step('amphora_configure', lambda: last(lbp.configure_amphora(amp_id), d(wait()), d(lbp.get_amphora(amp_id))))
    step('amphora_failover', lambda: last(lbp.failover_amphora(amp_id), d(wait()),
                                      {'amphorae': [d(x) for x in lbp.amphorae(loadbalancer_id=lb_id)],
                                       'old': failure(lambda: lbp.get_amphora(amp_id))}))
    step('lb_failover', lambda: last(lbp.failover_load_balancer(lb_id), {
        'loadbalancer': d(wait()), 'amphorae': [d(x) for x in lbp.amphorae(loadbalancer_id=lb_id)]}))

    # --- deletes, child by child ---------------------------------------------------------------
    def deleted(delete, fetch):
        delete()
        wait()
        return {'gone': wait_gone(fetch)}
    step('l7rule_delete', lambda: deleted(lambda: lbp.delete_l7_rule(r_id, p_id), lambda: lbp.get_l7_rule(r_id, p_id)))
    step('l7policy_delete', lambda: deleted(lambda: lbp.delete_l7_policy(p_id), lambda: lbp.get_l7_policy(p_id)))
    step('hm_delete', lambda: deleted(lambda: lbp.delete_health_monitor(hm_id), lambda: lbp.get_health_monitor(hm_id)))
    step('member_delete', lambda: deleted(lambda: lbp.delete_member(mb_id, pl_id), lambda: lbp.get_member(mb_id, pl_id)))
    step('pool_delete', lambda: deleted(lambda: lbp.delete_pool(pl_id), lambda: lbp.get_pool(pl_id)))
    step('listener_delete', lambda: deleted(lambda: lbp.delete_listener(ls_id), lambda: lbp.get_listener(ls_id)))

    def delete_lb():
        lbp.delete_load_balancer(lb_id)
        return {'gone': wait_gone(lambda: lbp.get_load_balancer(lb_id))}
    step('lb_delete', delete_lb)

    # --- amphora delete and cascade delete, on the other project's load balancer ----------------
    other_id = other_lb['id']
    step('listener_create_other', lambda: last(lbp.create_listener(
        protocol='HTTP', protocol_port=81, load_balancer_id=other_id), d(lbp.wait_for_load_balancer(other_id, **WAIT))))

    def amphora_delete():
        # Only an amphora in ERROR may be deleted and the noop drivers never fail; the test's
        # database file lets us mark one as a failed flow would. The SDK has no delete call.
        target = next(iter(lbp.amphorae(loadbalancer_id=other_id))).id
        db = sqlite3.connect(PARAMS['database'], timeout=10)
        try:
            with db:
                db.execute('UPDATE amphora SET status = ? WHERE id = ?', ('ERROR', target))
        finally:
            db.close()
        status_before = lbp.get_amphora(target).status
        res = raw(lbp, 'DELETE', f'/octavia/amphorae/{target}')
        return {'status_before': status_before, 'status': res['status'], 'body': res['body'],
                'gone': wait_gone(lambda: lbp.get_amphora(target))}
    step('amphora_delete', amphora_delete)

    def cascade():
        lbp.delete_load_balancer(other_id, cascade=True)
        return {'gone': wait_gone(lambda: lbp.get_load_balancer(other_id))}
    step('lb_delete_cascade', cascade)


def quotas(lbp):
    step('quota_defaults', lambda: d(lbp.get_quota_default()))
    step('quota_update', lambda: d(lbp.update_quota('sdk-quota', load_balancers=3, listeners=4)))
    step('quota_get', lambda: d(lbp.get_quota('sdk-quota')))
    step('quota_list', lambda: [d(q) for q in lbp.quotas()])
    step('quota_delete', lambda: last(lbp.delete_quota('sdk-quota'), d(lbp.get_quota('sdk-quota'))))


def providers(lbp):
    step('providers', lambda: [d(x) for x in lbp.providers()])
    step('provider_flavor_capabilities', lambda: [d(x) for x in lbp.provider_flavor_capabilities('amphora')])
    step('provider_az_capabilities',
         lambda: raw(lbp, 'GET', '/lbaas/providers/amphora/availability_zone_capabilities'))


def flavors(lbp):
    fp = step('flavorprofile_create', lambda: d(lbp.create_flavor_profile(
        name='sdk-fp1', provider_name='amphora', flavor_data='{"loadbalancer_topology": "SINGLE"}')))
    step('flavorprofile_find', lambda: d(lbp.find_flavor_profile('sdk-fp1')))
    step('flavorprofile_update', lambda: d(lbp.update_flavor_profile(fp['id'], name='sdk-fp1b')))
    step('flavorprofile_list', lambda: [x.id for x in lbp.flavor_profiles()])
    fl = step('flavor_create', lambda: d(lbp.create_flavor(name='sdk-fl1', flavor_profile_id=fp['id'], enabled=True)))
    step('flavor_find', lambda: d(lbp.find_flavor('sdk-fl1')))
    step('flavor_update', lambda: last(lbp.update_flavor(fl['id'], description='x'), d(lbp.get_flavor(fl['id']))))
    step('flavor_list', lambda: [x.id for x in lbp.flavors()])
    step('flavor_delete', lambda: last(lbp.delete_flavor(fl['id']), {'found': lbp.find_flavor('sdk-fl1')}))
    step('flavorprofile_delete', lambda: last(lbp.delete_flavor_profile(fp['id']),
                                              {'found': lbp.find_flavor_profile('sdk-fp1b')}))


def availability_zones(lbp):
    azp = step('azprofile_create', lambda: d(lbp.create_availability_zone_profile(
        name='sdk-azp1', provider_name='amphora', availability_zone_data='{"compute_zone": "nova"}')))
    step('az_create', lambda: d(lbp.create_availability_zone(
        name='sdk-az1', availability_zone_profile_id=azp['id'], description='d1')))
    step('az_get', lambda: d(lbp.get_availability_zone('sdk-az1')))
    step('az_update', lambda: last(lbp.update_availability_zone('sdk-az1', description='d2', enabled=False),
                                   d(lbp.get_availability_zone('sdk-az1'))))
    step('az_list', lambda: [x.name for x in lbp.availability_zones()])
    step('az_delete', lambda: last(lbp.delete_availability_zone('sdk-az1'),
                                   failure(lambda: lbp.get_availability_zone('sdk-az1'))))
    step('azprofile_delete', lambda: last(lbp.delete_availability_zone_profile(azp['id']),
                                          failure(lambda: lbp.get_availability_zone_profile(azp['id']))))


def main():
    openstack.enable_logging(debug=True, http_debug=True, stream=sys.stderr)
    lbp = openstack.connect(cloud=PARAMS['cloud']).load_balancer
    try:
        step('discovery', lambda: {'endpoint': lbp.get_endpoint()})
    except StepFailed:
        return
    for fn in (load_balancer_tree, quotas, providers, flavors, availability_zones):
        section(fn, lbp)
    emit({'step': 'end', 'result': True})


if __name__ == '__main__':
    main()
