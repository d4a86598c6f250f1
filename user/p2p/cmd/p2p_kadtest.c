/* The Kademlia DHT's pieces, checked one by one (KTAP): the kad-dht message
 * codec against hand-encoded bytes and malformed input, XOR distance and
 * the k-buckets against brute force, the /kos/ validator and selector, the
 * bounded record and provider stores with quota and expiry. Runs on the host
 * (test/host/p2p-ktap.test.ts) and in the guest as /bin/p2p_kadtest. */
#include "p2p_base.h"
#include "ktap.h"
#include "core/kad_int.h"
#include "crypto/sha2.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void random_peer(struct kad_peerinfo *p)
{
    uint8_t pub[32];
    for (int i = 0; i < 32; i++)
        pub[i] = (uint8_t)next_rand();
    memset(p, 0, sizeof *p);
    peerid_from_pub(&p->id, pub);
    p->naddrs = 1;
    p->addrs[0].ip = 0xc6336400u | (uint32_t)(next_rand() & 0xff);
    p->addrs[0].port = 4001;
}

static bool same_peer(const struct kad_peerinfo *a, const struct kad_peerinfo *b)
{
    if (!peerid_eq(&a->id, &b->id) || a->naddrs != b->naddrs)
        return false;
    for (int i = 0; i < a->naddrs; i++)
        if (a->addrs[i].ip != b->addrs[i].ip || a->addrs[i].port != b->addrs[i].port)
            return false;
    return true;
}

static uint8_t wire[KAD_MSG_MAX + 16];

/* PUT_VALUE /kos/k with the record /kos/k = "1:v". */
static void put_value_msg(struct kad_msg *m)
{
    memset(m, 0, sizeof *m);
    m->type = KAD_PUT_VALUE;
    m->key = (const uint8_t *)"/kos/k";
    m->keylen = 6;
    m->has_record = true;
    m->rec_key = m->key;
    m->rec_keylen = 6;
    m->rec_value = (const uint8_t *)"1:v";
    m->rec_valuelen = 3;
}

static void test_codec(void)
{
    /* FIND_NODE "abc": type = 1 (08 04), key = 2 (12 03 'abc'), prefix 07. */
    struct kad_msg m;
    memset(&m, 0, sizeof m);
    m.type = KAD_FIND_NODE;
    m.key = (const uint8_t *)"abc";
    m.keylen = 3;
    int n = kad_msg_encode(&m, wire, sizeof wire);
    static const uint8_t want[] = {0x07, 0x08, 0x04, 0x12, 0x03, 'a', 'b', 'c'};
    ktap_ok(n == (int)sizeof want && memcmp(wire, want, sizeof want) == 0, "encode_find_node_known_bytes");

    /* A PUT_VALUE keeps its type field (08 00) and nests the record. */
    put_value_msg(&m);
    n = kad_msg_encode(&m, wire, sizeof wire);
    static const uint8_t want2[] = {0x19, 0x08, 0x00, 0x12, 0x06, '/', 'k', 'o', 's', '/', 'k', 0x1a, 0x0d,
                                    0x0a, 0x06, '/', 'k', 'o', 's', '/', 'k', 0x12, 0x03, '1', ':', 'v'};
    ktap_ok(n == (int)sizeof want2 && memcmp(wire, want2, sizeof want2) == 0, "encode_put_value_known_bytes");

    /* Round trip with closer and provider peers. */
    static struct kad_msg a, b;
    memset(&a, 0, sizeof a);
    a.type = KAD_GET_PROVIDERS;
    static const uint8_t mh[34] = {0x12, 0x20, 1, 2, 3};
    a.key = mh;
    a.keylen = sizeof mh;
    a.ncloser = 3;
    for (int i = 0; i < 3; i++)
        random_peer(&a.closer[i]);
    a.closer[1].naddrs = 2;
    a.closer[1].addrs[1] = (struct maddr){.ip = 0x7f000001, .port = 9};
    a.closer[2].naddrs = 0;
    a.nproviders = 1;
    random_peer(&a.providers[0]);
    n = kad_msg_encode(&a, wire, sizeof wire);
    size_t off = 0, len = 0;
    bool ok = n > 0 && kad_frame(wire, (size_t)n, &off, &len) == 1 && off + len == (size_t)n &&
              kad_msg_decode(&b, wire + off, len) == 0;
    ok = ok && b.type == KAD_GET_PROVIDERS && b.keylen == sizeof mh && memcmp(b.key, mh, sizeof mh) == 0 && !b.has_record &&
         b.ncloser == 3 && b.nproviders == 1 && b.skipped_peers == 0;
    for (int i = 0; ok && i < 3; i++)
        ok = same_peer(&a.closer[i], &b.closer[i]);
    ok = ok && same_peer(&a.providers[0], &b.providers[0]);
    ktap_ok(ok, "roundtrip_get_providers_with_peers");

    /* Framing: partial input waits, an oversized or malformed prefix is refused. */
    static const uint8_t partial[] = {0x05, 0x08};
    static const uint8_t big[] = {0x81, 0x80, 0x01};          /* 16385 */
    static const uint8_t longv[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    static const uint8_t nonmin[] = {0x80, 0x00};
    ok = kad_frame(partial, sizeof partial, &off, &len) == 0 && kad_frame(partial, 0, &off, &len) == 0 &&
         kad_frame(big, sizeof big, &off, &len) == -KC_msg_too_big && kad_frame(longv, sizeof longv, &off, &len) == -KC_bad_message &&
         kad_frame(nonmin, sizeof nonmin, &off, &len) == -KC_bad_message;
    ktap_ok(ok, "frame_partial_oversized_and_malformed_prefixes");

    /* Malformed bodies. */
    static const uint8_t trunc[] = {0x08, 0x04, 0x12, 0x09, 'a'};     /* key longer than the message */
    static const uint8_t badwire[] = {0x10, 0x05};                    /* key as a varint */
    static const uint8_t badtype[] = {0x08, 0x09};                    /* type 9 */
    static const uint8_t badrec[] = {0x08, 0x00, 0x1a, 0x02, 0x08, 0x01}; /* record.key as a varint */
    static const uint8_t badpeer[] = {0x08, 0x04, 0x42, 0x03, 0x0a, 0x05, 0x00}; /* closer peer id overruns */
    static const uint8_t group[] = {0x08, 0x04, 0x13};                /* wire type 3 */
    ok = kad_msg_decode(&b, trunc, sizeof trunc) == -KC_bad_message && kad_msg_decode(&b, badwire, sizeof badwire) == -KC_bad_message &&
         kad_msg_decode(&b, badtype, sizeof badtype) == -KC_bad_type && kad_msg_decode(&b, badrec, sizeof badrec) == -KC_bad_message &&
         kad_msg_decode(&b, badpeer, sizeof badpeer) == -KC_bad_message && kad_msg_decode(&b, group, sizeof group) == -KC_bad_message;
    ktap_ok(ok, "decode_refuses_malformed_messages");

    /* Well-formed entries kos cannot use are skipped, not fatal: a PeerId that is
     * a SHA-256 multihash (an RSA key), and an ip6 address. */
    uint8_t body[128];
    size_t k = 0;
    body[k++] = 0x08; body[k++] = 0x04;
    body[k++] = 0x42; body[k++] = 36; body[k++] = 0x0a; body[k++] = 34; body[k++] = 0x12; body[k++] = 0x20;
    memset(body + k, 7, 32); k += 32;
    struct kad_peerinfo p6;
    random_peer(&p6);
    uint8_t pb[64];
    size_t pk = 0;
    pb[pk++] = 0x0a; pb[pk++] = P2P_PEERID_LEN;
    memcpy(pb + pk, p6.id.b, P2P_PEERID_LEN); pk += P2P_PEERID_LEN;
    pb[pk++] = 0x12; pb[pk++] = 20; pb[pk++] = 0x29; memset(pb + pk, 0, 16); pk += 16; pb[pk++] = 0x06; pb[pk++] = 0x0f; pb[pk++] = 0xa1;
    body[k++] = 0x42; body[k++] = (uint8_t)pk;
    memcpy(body + k, pb, pk); k += pk;
    ok = kad_msg_decode(&b, body, k) == 0 && b.skipped_peers == 1 && b.ncloser == 1 && peerid_eq(&b.closer[0].id, &p6.id) &&
         b.closer[0].naddrs == 0;
    ktap_ok(ok, "decode_skips_unusable_peer_ids_and_addresses");

    /* More than KAD_MSG_PEERS closer peers: the first 20 are read, the rest ignored. */
    memset(&a, 0, sizeof a);
    a.type = KAD_FIND_NODE;
    a.ncloser = KAD_MSG_PEERS;
    for (int i = 0; i < KAD_MSG_PEERS; i++)
        random_peer(&a.closer[i]);
    n = kad_msg_encode(&a, wire, sizeof wire);
    struct kad_peerinfo extra;
    random_peer(&extra);
    a.closer[0] = extra;
    a.ncloser = 1;
    int n2 = kad_msg_encode(&a, wire + n, sizeof wire - (size_t)n);
    /* Splice: body of the first + the extra peer field of the second, one new prefix. */
    ok = n > 0 && n2 > 0 && kad_frame(wire, (size_t)n, &off, &len) == 1;
    size_t off2 = 0, len2 = 0;
    ok = ok && kad_frame(wire + n, (size_t)n2, &off2, &len2) == 1;
    static uint8_t spliced[KAD_MSG_MAX];
    size_t sl = 0;
    if (ok) {
        memcpy(spliced, wire + off, len);
        sl = len;
        memcpy(spliced + sl, wire + n + off2 + 2, len2 - 2); /* skip its 08 04 */
        sl += len2 - 2;
    }
    ok = ok && kad_msg_decode(&b, spliced, sl) == 0 && b.ncloser == KAD_MSG_PEERS && b.skipped_peers == 0;
    ktap_ok(ok, "decode_reads_at_most_20_peers");
}

/* The remaining lifetime travels in Record field 777 (varint); absent, it is 0. */
static void test_codec_ttl(void)
{
    struct kad_msg m, d;
    put_value_msg(&m);
    m.rec_ttl_s = 300;
    int n = kad_msg_encode(&m, wire, sizeof wire);
    /* The record: 0a 06 key, 12 03 value, then field 777 varint = tag 0xc8 0x30, 300 = 0xac 0x02. */
    static const uint8_t tail[] = {0x12, 0x03, '1', ':', 'v', 0xc8, 0x30, 0xac, 0x02};
    size_t off = 0, len = 0;
    bool ok = n > 0 && memcmp(wire + n - sizeof tail, tail, sizeof tail) == 0 && kad_frame(wire, (size_t)n, &off, &len) == 1 &&
              kad_msg_decode(&d, wire + off, len) == 0 && d.rec_ttl_s == 300 && d.rec_valuelen == 3;
    m.rec_ttl_s = 0;
    n = kad_msg_encode(&m, wire, sizeof wire);
    ok = ok && n > 0 && wire[n - 1] == 'v' && kad_frame(wire, (size_t)n, &off, &len) == 1 && kad_msg_decode(&d, wire + off, len) == 0 &&
         d.rec_ttl_s == 0;
    /* Field 777 as bytes is malformed. */
    static const uint8_t bad[] = {0x08, 0x00, 0x1a, 0x04, 0xca, 0x30, 0x01, 0x00};
    ok = ok && kad_msg_decode(&d, bad, sizeof bad) == -KC_bad_message;
    ktap_ok(ok, "record_ttl_field_777");
}

static void test_distance(void)
{
    uint8_t abc[32];
    kad_id((const uint8_t *)"abc", 3, abc);
    ktap_ok(abc[0] == 0xba && abc[1] == 0x78 && abc[31] == 0xad, "kad_id_is_sha256");
    uint8_t x[32] = {0}, y[32] = {0}, t[32] = {0};
    bool ok = kad_cpl(x, y) == 256;
    y[0] = 0x80;
    ok = ok && kad_cpl(x, y) == 0;
    y[0] = 0x01;
    ok = ok && kad_cpl(x, y) == 7;
    y[0] = 0;
    y[3] = 0x10;
    ok = ok && kad_cpl(x, y) == 27;
    /* XOR: t = 0; x = 0x01.., y = 0x02..: x is closer; equal ids compare 0. */
    memset(x, 0, 32);
    memset(y, 0, 32);
    x[0] = 1;
    y[0] = 2;
    ok = ok && kad_cmp(t, x, y) < 0 && kad_cmp(t, y, x) > 0 && kad_cmp(t, x, x) == 0;
    t[0] = 3; /* now y (distance 1) is closer than x (distance 2) */
    ok = ok && kad_cmp(t, y, x) < 0;
    ktap_ok(ok, "cpl_and_xor_order");
}

static struct kad_rt rt;
static struct kad_peerinfo peers[400];

static void test_buckets(void)
{
    struct peerid self;
    uint8_t pub[32];
    sha256("kadtest-self", 12, pub);
    peerid_from_pub(&self, pub);
    kad_rt_init(&rt, &self);
    struct kad_peerinfo me = {.id = self};
    bool ok = kad_rt_add(&rt, &me, 1) == KAD_RT_SELF && rt.count == 0;
    int per[257] = {0}, added = 0, full = 0;
    for (int i = 0; i < 400; i++) {
        random_peer(&peers[i]);
        uint8_t kid[32];
        kad_id(peers[i].id.b, P2P_PEERID_LEN, kid);
        per[kad_cpl(rt.self, kid)]++;
        int r = kad_rt_add(&rt, &peers[i], 10);
        if (r == KAD_RT_ADDED)
            added++;
        else if (r == KAD_RT_FULL)
            full++;
    }
    int want = 0;
    for (int c = 0; c <= 256; c++)
        want += per[c] < KAD_K ? per[c] : KAD_K;
    ok = ok && per[0] > KAD_K && added == want && rt.count == want && full == 400 - want;
    ok = ok && kad_rt_bucket_size(&rt, 0) == KAD_K && kad_rt_bucket_size(&rt, 1) == (per[1] < KAD_K ? per[1] : KAD_K);
    ktap_ok(ok, "buckets_hold_at_most_k");
    ktap_diag("400 random peers: %d in the table, %d turned away (bucket 0 saw %d, bucket 1 %d)", rt.count, full, per[0], per[1]);

    /* Re-adding refreshes, keeping the addresses when the new entry has none. */
    struct kad_entry *e = NULL;
    int first = -1;
    for (int i = 0; i < 400 && first < 0; i++)
        if ((e = kad_rt_find(&rt, &peers[i].id)))
            first = i;
    struct kad_peerinfo bare = {.id = peers[first].id};
    ok = kad_rt_add(&rt, &bare, 20) == KAD_RT_UPDATED && e->seen_ms == 20 && e->p.naddrs == 1 && e->p.addrs[0].ip == peers[first].addrs[0].ip;
    ktap_ok(ok, "readd_refreshes_and_keeps_addresses");

    /* closest() against brute force over the whole table. */
    ok = true;
    for (int round = 0; round < 20 && ok; round++) {
        uint8_t target[32];
        for (int i = 0; i < 32; i++)
            target[i] = (uint8_t)next_rand();
        struct kad_peerinfo got[KAD_K];
        int n = kad_rt_closest(&rt, target, NULL, got, KAD_K);
        ok = n == KAD_K;
        for (int i = 0; ok && i < n; i++) {
            uint8_t gi[32];
            kad_id(got[i].id.b, P2P_PEERID_LEN, gi);
            if (i > 0) {
                uint8_t gp[32];
                kad_id(got[i - 1].id.b, P2P_PEERID_LEN, gp);
                ok = kad_cmp(target, gp, gi) < 0;
            }
            /* No entry outside the answer may be closer than its last. */
            if (i == n - 1)
                for (int j = 0; ok && j < KAD_RT_MAX; j++) {
                    if (!rt.e[j].used || kad_cmp(target, rt.e[j].kid, gi) >= 0)
                        continue;
                    bool listed = false;
                    for (int q = 0; q < n; q++)
                        listed = listed || peerid_eq(&got[q].id, &rt.e[j].p.id);
                    ok = listed;
                }
        }
    }
    ktap_ok(ok, "closest_k_matches_brute_force");

    /* A full bucket takes a newcomer in place of a peer whose requests failed;
     * three failures in a row remove a peer. */
    int victim = -1, newcomer = -1;
    for (int i = 0; i < 400; i++) {
        uint8_t kid[32];
        kad_id(peers[i].id.b, P2P_PEERID_LEN, kid);
        if (kad_cpl(rt.self, kid) != 0)
            continue;
        if (kad_rt_find(&rt, &peers[i].id)) {
            if (victim < 0)
                victim = i;
        } else if (newcomer < 0) {
            newcomer = i;
        }
    }
    ok = victim >= 0 && newcomer >= 0 && kad_rt_add(&rt, &peers[newcomer], 30) == KAD_RT_FULL;
    ok = ok && !kad_rt_fail(&rt, &peers[victim].id) && kad_rt_add(&rt, &peers[newcomer], 31) == KAD_RT_EVICTED &&
         !kad_rt_find(&rt, &peers[victim].id) && kad_rt_find(&rt, &peers[newcomer].id) && kad_rt_bucket_size(&rt, 0) == KAD_K;
    int before = rt.count;
    ok = ok && !kad_rt_fail(&rt, &peers[newcomer].id) && !kad_rt_fail(&rt, &peers[newcomer].id) &&
         kad_rt_fail(&rt, &peers[newcomer].id) && rt.count == before - 1 && !kad_rt_find(&rt, &peers[newcomer].id);
    ktap_ok(ok, "stale_peer_replaced_and_failing_peer_removed");

    struct kad_peerinfo got[KAD_K];
    int u = 0;
    while (!rt.e[u].used)
        u++;
    ok = kad_rt_closest(&rt, rt.e[u].kid, &rt.e[u].p.id, got, KAD_K) == KAD_K;
    for (int i = 0; ok && i < KAD_K; i++)
        ok = !peerid_eq(&got[i].id, &rt.e[u].p.id);
    ktap_ok(ok, "closest_skips_the_asker");
}

static bool put(struct kad_store *st, const char *key, const char *val, const struct peerid *from, uint64_t now, int want)
{
    return kad_store_put(st, (const uint8_t *)key, strlen(key), (const uint8_t *)val, strlen(val), from, false, 0, now) == want;
}

static struct kad_store st;

static void test_records(void)
{
    const uint8_t *k = (const uint8_t *)"/kos/name";
    uint64_t seq = 0;
    bool ok = kad_kos_validate(k, 9, (const uint8_t *)"1:hello world", 13, &seq) == 0 && seq == 1 &&
              kad_kos_validate(k, 9, (const uint8_t *)"123456789012345678:x", 20, &seq) == 0 && seq == 123456789012345678ull &&
              kad_kos_validate(k, 9, (const uint8_t *)"0:", 2, &seq) == 0 && seq == 0;
    ktap_ok(ok, "kos_validator_accepts");
    static uint8_t big[KAD_VALUE_MAX + 1];
    memset(big, 'a', sizeof big);
    big[0] = '1';
    big[1] = ':';
    ok = kad_kos_validate((const uint8_t *)"/pk/name", 8, (const uint8_t *)"1:x", 3, NULL) == -KC_record_invalid &&
         kad_kos_validate((const uint8_t *)"/kos/", 5, (const uint8_t *)"1:x", 3, NULL) == -KC_record_invalid &&
         kad_kos_validate((const uint8_t *)"/kos/a b", 8, (const uint8_t *)"1:x", 3, NULL) == -KC_record_invalid &&
         kad_kos_validate(k, 9, (const uint8_t *)"01:x", 4, NULL) == -KC_record_invalid &&
         kad_kos_validate(k, 9, (const uint8_t *)"1x", 2, NULL) == -KC_record_invalid &&
         kad_kos_validate(k, 9, (const uint8_t *)":x", 2, NULL) == -KC_record_invalid &&
         kad_kos_validate(k, 9, (const uint8_t *)"1234567890123456789:x", 21, NULL) == -KC_record_invalid &&
         kad_kos_validate(k, 9, (const uint8_t *)"1:\n", 3, NULL) == -KC_record_invalid &&
         kad_kos_validate(k, 9, big, sizeof big, NULL) == -KC_record_too_big &&
         kad_kos_validate(k, 9, big, sizeof big - 1, NULL) == 0;
    ktap_ok(ok, "kos_validator_refuses");
    ok = kad_kos_select((const uint8_t *)"2:a", 3, (const uint8_t *)"1:zz", 4) > 0 &&
         kad_kos_select((const uint8_t *)"10:a", 4, (const uint8_t *)"9:a", 3) > 0 &&
         kad_kos_select((const uint8_t *)"1:a", 3, (const uint8_t *)"1:b", 3) < 0 &&
         kad_kos_select((const uint8_t *)"1:ab", 4, (const uint8_t *)"1:a", 3) > 0 &&
         kad_kos_select((const uint8_t *)"1:a", 3, (const uint8_t *)"1:a", 3) == 0;
    ktap_ok(ok, "kos_selector_orders_by_seq_then_bytes");

    memset(&st, 0, sizeof st);
    st.ttl_ms = st.prov_ttl_ms = 1000;
    st.republish_ms = st.replicate_ms = 100000;
    struct peerid pa = peers[0].id, pb = peers[1].id;
    ok = put(&st, "/kos/a", "1:one", &pa, 0, 0) && put(&st, "/kos/a", "0:older", &pb, 1, -KC_record_stale) &&
         put(&st, "/kos/a", "2:two", &pb, 2, 0) && put(&st, "/kos/a", "2:two", &pa, 3, 0) && st.nrec == 1;
    struct kad_record *r = kad_store_get(&st, (const uint8_t *)"/kos/a", 6, 4);
    ok = ok && r && r->vlen == 5 && memcmp(r->value, "2:two", 5) == 0 && r->seq == 2 && peerid_eq(&r->from, &pb) && r->expires_ms == 1003;
    ok = ok && put(&st, "/kos/b", "1:x\x01", &pa, 5, -KC_record_invalid) && st.nrec == 1;
    ktap_ok(ok, "store_keeps_the_best_record");

    /* One peer's flood stops at its quota; others still store; the store's bound holds. */
    int stored = 0, refused = 0;
    char key[32];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "/kos/flood-%d", i);
        int rc = kad_store_put(&st, (const uint8_t *)key, strlen(key), (const uint8_t *)"1:x", 3, &pa, false, 0, 10);
        if (rc == 0)
            stored++;
        else if (rc == -KC_put_quota)
            refused++;
    }
    ok = stored == KAD_PEER_RECORDS && refused == 100 - KAD_PEER_RECORDS && put(&st, "/kos/other", "1:y", &pb, 10, 0);
    ktap_ok(ok, "put_flood_stops_at_the_peer_quota");
    ktap_diag("flood: %d stored, %d refused (quota %d)", stored, refused, KAD_PEER_RECORDS);
    int full = 0;
    for (int p = 2; p < 12; p++)
        for (int i = 0; i < KAD_PEER_RECORDS; i++) {
            snprintf(key, sizeof key, "/kos/p%d-%d", p, i);
            if (kad_store_put(&st, (const uint8_t *)key, strlen(key), (const uint8_t *)"1:x", 3, &peers[p].id, false, 0, 10) == -KC_store_full)
                full++;
        }
    ok = st.nrec == KAD_MAX_RECORDS && full == 2 + KAD_PEER_RECORDS + 10 * KAD_PEER_RECORDS - KAD_MAX_RECORDS;
    ktap_ok(ok, "store_bounded_at_256_records");

    int prov = 0;
    ok = kad_store_expire(&st, 1009, &prov) == 1 && st.nrec == KAD_MAX_RECORDS - 1; /* /kos/a, stored at 3 */
    ok = ok && kad_store_expire(&st, 1010, &prov) == KAD_MAX_RECORDS - 1 && st.nrec == 0 && prov == 0;
    ktap_ok(ok, "records_expire_after_ttl");

    /* Providers: multihash keys only, 20 per key, refreshed in place, expiring. */
    static const uint8_t mh[34] = {0x12, 0x20, 9, 9, 9};
    ok = kad_is_multihash(mh, sizeof mh) && !kad_is_multihash(mh, 33) && !kad_is_multihash((const uint8_t *)"/kos/a", 6) &&
         kad_prov_add(&st, (const uint8_t *)"/kos/a", 6, &peers[0], 0) == -KC_bad_key;
    for (int i = 0; i < KAD_KEY_PROVIDERS && ok; i++)
        ok = kad_prov_add(&st, mh, sizeof mh, &peers[i], 0) == 0;
    ok = ok && kad_prov_add(&st, mh, sizeof mh, &peers[KAD_KEY_PROVIDERS], 0) == -KC_provider_full &&
         kad_prov_add(&st, mh, sizeof mh, &peers[3], 500) == 0 && st.nprov == KAD_KEY_PROVIDERS;
    struct kad_peerinfo out[KAD_KEY_PROVIDERS];
    ok = ok && kad_prov_get(&st, mh, sizeof mh, 999, out, KAD_KEY_PROVIDERS) == KAD_KEY_PROVIDERS;
    prov = 0;
    kad_store_expire(&st, 1000, &prov);
    ok = ok && prov == KAD_KEY_PROVIDERS - 1 && kad_prov_get(&st, mh, sizeof mh, 1000, out, KAD_KEY_PROVIDERS) == 1 &&
         peerid_eq(&out[0].id, &peers[3].id);
    ktap_ok(ok, "providers_bounded_refreshed_and_expiring");
}

static bool due_is(struct kad_store *s, uint64_t now, const char *key)
{
    struct kad_record *r = kad_store_due(s, now);
    if (!key)
        return r == NULL;
    return r && r->keylen == strlen(key) && memcmp(r->key, key, r->keylen) == 0;
}

/* The schedule of republishing, re-replication and expiry, on a clock the
 * test sets (the module's housekeeping runs exactly this each second). */
static void test_schedule(void)
{
    memset(&st, 0, sizeof st);
    st.ttl_ms = 48000;          /* the defaults scaled down: 48 h -> 48 s */
    st.prov_ttl_ms = 24000;
    st.republish_ms = 22000;
    st.replicate_ms = 1000;
    struct peerid self = peers[50].id, pa = peers[51].id, pb = peers[52].id;
    const uint8_t *mk = (const uint8_t *)"/kos/mine", *hk = (const uint8_t *)"/kos/held";
    /* Ours, put at 0: republished at 22 s with a fresh 48 s lifetime. */
    bool ok = kad_store_put(&st, mk, 9, (const uint8_t *)"1:m", 3, &self, true, 0, 0) == 0;
    struct kad_record *m = kad_store_get(&st, mk, 9, 0);
    ok = ok && m && m->mine && m->expires_ms == 48000 && m->next_ms == 22000 && due_is(&st, 21999, NULL) && due_is(&st, 22000, "/kos/mine");
    ok = ok && kad_store_sent(&st, m, 22000) == 48000 && m->expires_ms == 70000 && m->next_ms == 44000 && due_is(&st, 43999, NULL);
    ktap_ok(ok, "originator_republishes_with_a_fresh_lifetime");

    /* Held: from pa at 100 with the full lifetime; due for re-replication a
     * second later; each send reschedules it and keeps its expiry. */
    ok = kad_store_put(&st, hk, 9, (const uint8_t *)"1:h", 3, &pa, false, 0, 100) == 0;
    struct kad_record *h = kad_store_get(&st, hk, 9, 100);
    ok = ok && h && !h->mine && h->expires_ms == 48100 && h->next_ms == 1100 && due_is(&st, 1099, NULL) && due_is(&st, 1100, "/kos/held");
    ok = ok && kad_store_sent(&st, h, 1100) == 47000 && h->expires_ms == 48100 && h->next_ms == 2100;
    /* Hearing the same record again (another holder sent it to the k closest)
     * puts off our own re-replication; it lengthens the lifetime only up to what the sender had. */
    ok = ok && kad_store_put(&st, hk, 9, (const uint8_t *)"1:h", 3, &pb, false, 30000, 2000) == 0 && h->next_ms == 3000 &&
         h->expires_ms == 48100;
    ok = ok && kad_store_put(&st, hk, 9, (const uint8_t *)"1:h", 3, &pb, false, 47000, 2000) == 0 && h->expires_ms == 49000;
    ktap_ok(ok, "holder_re_replicates_without_lengthening_the_lifetime");

    /* A copy passed on by a holder keeps the remaining lifetime it came with. */
    static struct kad_store other;
    memset(&other, 0, sizeof other);
    other.ttl_ms = 48000;
    other.replicate_ms = 1000;
    ok = kad_store_put(&other, hk, 9, (const uint8_t *)"1:h", 3, &pa, false, 5000, 40000) == 0 &&
         kad_store_get(&other, hk, 9, 44999) != NULL && kad_store_get(&other, hk, 9, 45000) == NULL && other.nrec == 0;
    /* A sender's lifetime above ours is cut to ours. */
    ok = ok && kad_store_put(&other, hk, 9, (const uint8_t *)"1:h", 3, &pa, false, 999999, 0) == 0 &&
         kad_store_get(&other, hk, 9, 0)->expires_ms == 48000;
    ktap_ok(ok, "copies_keep_the_lifetime_they_came_with");

    /* The originator gone: no republish; the held record expires at 49 s
     * and is not due any more; ours, republished at 22 s, lives to 70 s. */
    int prov = 0;
    ok = kad_store_expire(&st, 48999, &prov) == 0 && kad_store_expire(&st, 49000, &prov) == 1 && !kad_store_get(&st, hk, 9, 49000) &&
         kad_store_get(&st, mk, 9, 69999) != NULL && kad_store_expire(&st, 70000, &prov) == 1 && st.nrec == 0 && due_is(&st, 70000, NULL);
    ktap_ok(ok, "records_expire_when_nobody_republishes");

    /* Provider entries live prov_ttl_ms (24 s here), records ttl_ms (48 s). */
    static const uint8_t mh[34] = {0x12, 0x20, 4, 4, 4};
    ok = kad_prov_add(&st, mh, sizeof mh, &peers[53], 1000) == 0 && kad_store_put(&st, mk, 9, (const uint8_t *)"1:m", 3, &pa, false, 0, 1000) == 0;
    struct kad_peerinfo out[2];
    prov = 0;
    ok = ok && kad_prov_get(&st, mh, sizeof mh, 24999, out, 2) == 1 && kad_prov_get(&st, mh, sizeof mh, 25000, out, 2) == 0 &&
         kad_store_expire(&st, 25000, &prov) == 0 && prov == 1 && kad_store_get(&st, mk, 9, 48999) != NULL;
    ktap_ok(ok, "provider_ttl_apart_from_the_record_ttl");
}

int main(void)
{
    ktap_begin("p2p_kadtest", 28);
    test_codec();
    test_distance();
    test_buckets();
    test_records();
    test_schedule();
    test_codec_ttl();
    return ktap_done();
}
