/* p2p_unixfs: the content-addressing pieces of file sharing (core/cid,
 * core/unixfs) checked without a network: CID text and binary forms, dag-pb
 * encode and decode, the chunker and balanced builder at the chunk
 * boundaries, and the refusals (bad CIDs, prefixes this node cannot check,
 * malformed nodes). A KTAP suite in the guest (phase 4) and on the host.
 *   p2p_unixfs cid SIZE SEED   prints "cid CID size N blocks B chunks C" for
 *                              the addgen content (the host test compares
 *                              it with ipfs-unixfs-importer) */
#include "p2p_base.h"
#include "ktap.h"
#include "core/cid.h"
#include "core/unixfs.h"

struct count {
    uint64_t blocks, bytes, dagpb;
    struct cid last;
    uint8_t *last_data;
    size_t last_len;
};

static int count_block(void *ctx, const struct cid *c, const uint8_t *data, size_t n)
{
    struct count *k = ctx;
    if (!cid_matches(c, data, n))
        return -1;
    k->blocks++;
    k->bytes += n;
    if (cid_codec(c) == CODEC_DAG_PB)
        k->dagpb++;
    k->last = *c;
    free(k->last_data);
    k->last_data = malloc(n ? n : 1);
    if (!k->last_data)
        return -1;
    memcpy(k->last_data, data, n);
    k->last_len = n;
    return 0;
}

/* Builds the addgen content of size bytes; 0 or -1. */
static int build(uint64_t size, uint32_t seed, struct dag_link *root, struct count *k)
{
    struct unixfs_builder b;
    struct gen_state g;
    static uint8_t buf[65536];
    free(k->last_data);
    memset(k, 0, sizeof *k);
    if (unixfs_begin(&b, count_block, k) < 0)
        return -1;
    gen_init(&g, seed);
    for (uint64_t off = 0; off < size;) {
        size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
        gen_fill(&g, buf, n);
        if (unixfs_feed(&b, buf, n) < 0) {
            unixfs_abort(&b);
            return -1;
        }
        off += n;
    }
    return unixfs_end(&b, root);
}

static int cid_mode(const char *size_s, const char *seed_s)
{
    struct dag_link root;
    struct count k = {0};
    long size = p2p_atol(size_s);
    if (size < 0 || build((uint64_t)size, (uint32_t)p2p_atol(seed_s), &root, &k) < 0) {
        printf("error build failed\n");
        return 1;
    }
    char s[CID_STR_MAX];
    cid_str(&root.cid, s);
    printf("cid %s size %lu tsize %lu blocks %lu dagpb %lu\n", s, (unsigned long)root.filesize, (unsigned long)root.tsize,
           (unsigned long)k.blocks, (unsigned long)k.dagpb);
    free(k.last_data);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "cid") == 0)
        return cid_mode(argv[2], argv[3]);
    ktap_begin("p2p_unixfs", 14);

    /* SHA-256("") (FIPS 180-4) as a raw CIDv1: the importer's empty file. */
    struct cid c, d;
    char s[CID_STR_MAX];
    cid_of(&c, CODEC_RAW, "", 0);
    cid_str(&c, s);
    ktap_ok(strcmp(s, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku") == 0, "empty_raw_block_cid");
    ktap_ok(cid_parse(&d, s) == 0 && cid_eq(&c, &d) && cid_codec(&d) == CODEC_RAW, "cid_text_round_trip");

    int refused = 0;
    static const char *const bad[] = {
        "Bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",   /* not multibase b */
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk1",   /* not base32 */
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvykv",   /* trailing bits set */
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvy",     /* truncated */
        "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",                /* CIDv0 */
        "bafkrgqgpqpqtk7xpxc67cvbikdlg3aah2yqoibilk4k5za7uveq5g3hjzzd5buj4lwc7fmh7qmmnfb365qxwhojrxvduc6ubuu4de6xze7nd4", /* sha2-512 */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused += cid_parse(&d, bad[i]) < 0;
    KTAP_EXPECT_EQ("bad_cids_refused", refused, (int)(sizeof bad / sizeof bad[0]));

    uint8_t pre[8];
    int plen = cid_prefix(&c, pre);
    ktap_ok(plen == 4 && pre[0] == 1 && pre[1] == CODEC_RAW && pre[2] == MH_SHA2_256 && pre[3] == 32, "raw_prefix_01_55_12_20");
    ktap_ok(cid_from_prefix(&d, pre, (size_t)plen, "", 0) == 0 && cid_eq(&c, &d), "cid_from_prefix_matches");
    static const uint8_t sha512_prefix[] = {1, CODEC_RAW, 0x13, 0x40};
    static const uint8_t v0_prefix[] = {0, CODEC_DAG_PB, MH_SHA2_256, 32};
    ktap_ok(cid_from_prefix(&d, sha512_prefix, 4, "x", 1) < 0 && cid_from_prefix(&d, v0_prefix, 4, "x", 1) < 0,
            "unverifiable_prefixes_refused");
    ktap_ok(cid_matches(&c, "", 0) && !cid_matches(&c, "x", 1), "block_bytes_checked_against_cid");

    /* Builds at the chunk boundaries. */
    struct dag_link root;
    struct count k = {0};
    ktap_ok(build(0, 1, &root, &k) == 0 && k.blocks == 1 && cid_eq(&root.cid, &c) && root.filesize == 0, "empty_file_is_the_empty_raw_block");
    ktap_ok(build(UNIXFS_CHUNK, 1, &root, &k) == 0 && k.blocks == 1 && cid_codec(&root.cid) == CODEC_RAW &&
                root.filesize == UNIXFS_CHUNK && root.tsize == UNIXFS_CHUNK,
            "one_chunk_file_is_one_raw_block");
    bool ok = build(UNIXFS_CHUNK + 1, 1, &root, &k) == 0 && k.blocks == 3 && k.dagpb == 1 && cid_codec(&root.cid) == CODEC_DAG_PB;
    struct dagpb_node nd;
    ok = ok && cid_eq(&k.last, &root.cid) && dagpb_parse(&nd, k.last_data, k.last_len) == 0;
    if (ok) {
        ok = nd.nlinks == 2 && nd.type == UNIXFS_TYPE_FILE && nd.filesize == UNIXFS_CHUNK + 1 && nd.links[0].filesize == UNIXFS_CHUNK &&
             nd.links[1].filesize == 1 && nd.links[1].tsize == 1 && cid_codec(&nd.links[0].cid) == CODEC_RAW &&
             root.tsize == k.last_len + UNIXFS_CHUNK + 1;
        dagpb_free(&nd);
    }
    ktap_ok(ok, "two_chunks_make_a_dag_pb_root_of_two_raw_links");
    ok = build(5u << 20, 7, &root, &k) == 0 && k.blocks == 21 && k.dagpb == 1 && root.filesize == (5u << 20);
    ktap_ok(ok, "five_mib_is_20_leaves_and_one_root");

    /* Malformed nodes: truncated, blocksizes not matching the links, not UnixFS. */
    build(UNIXFS_CHUNK + 1, 1, &root, &k);
    int rejected = 0;
    rejected += dagpb_parse(&nd, k.last_data, k.last_len - 1) < 0;
    uint8_t *m = malloc(k.last_len);
    memcpy(m, k.last_data, k.last_len);
    m[k.last_len - 1] = 2;   /* last blocksize 1 -> 2: the sum no longer is filesize */
    rejected += dagpb_parse(&nd, m, k.last_len) < 0;
    static const uint8_t not_unixfs[] = {0x0a, 0x02, 0x08, 0x05};   /* Data { Type = 5 (HAMT) } */
    rejected += dagpb_parse(&nd, not_unixfs, sizeof not_unixfs) < 0;
    static const uint8_t no_data[] = {0x12, 0x00};                   /* a link without a hash */
    rejected += dagpb_parse(&nd, no_data, sizeof no_data) < 0;
    KTAP_EXPECT_EQ("malformed_dag_pb_refused", rejected, 4);
    free(m);

    uint8_t tiny[8];
    struct dag_link one = {.tsize = 1, .filesize = 1};
    one.cid = c;
    ktap_ok(dagpb_file_node(tiny, sizeof tiny, &one, 1) < 0, "node_encoder_reports_overflow");
    /* The generator: first words of seed 1 (state 0x9e3779ba). */
    struct gen_state g;
    uint8_t w[6];
    gen_init(&g, 1);
    gen_fill(&g, w, 6);
    uint32_t x = 0x9e3779bau;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    ktap_ok(w[0] == (uint8_t)x && w[3] == (uint8_t)(x >> 24), "generator_is_xorshift32_little_endian");
    free(k.last_data);
    return ktap_done();
}
