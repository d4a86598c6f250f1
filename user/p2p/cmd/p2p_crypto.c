/* The crypto library against the published test vectors: FIPS 180-4 (SHA-2),
 * RFC 4231 (HMAC), RFC 5869 (HKDF), RFC 7748 (X25519), RFC 8032 7.1
 * (Ed25519), RFC 8439 (ChaCha20-Poly1305). The same program runs in the
 * guest (/bin/p2p_crypto, a KTAP suite) and on the host (build/host/p2p_crypto,
 * driven by test/host/p2p-crypto.test.ts). */
#include "p2p_base.h"
#include "ktap.h"
#include "crypto/sha2.h"
#include "crypto/hmac.h"
#include "crypto/chachapoly.h"
#include "crypto/curve25519.h"

static int unhex(uint8_t *out, const char *hex)
{
    int n = 0;
    while (hex[0] && hex[1]) {
        int v = 0;
        for (int i = 0; i < 2; i++) {
            char c = hex[i];
            v = v * 16 + (c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
        }
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* ok when buf equals the hex string; prints both on a mismatch. */
static bool check_hex(const char *name, const uint8_t *got, const char *want_hex)
{
    static uint8_t want[256];
    int n = unhex(want, want_hex);
    bool ok = memcmp(got, want, (size_t)n) == 0;
    if (!ok) {
        char g[513];
        for (int i = 0; i < n && i < 256; i++)
            snprintf(g + 2 * i, 3, "%02x", got[i]);
        ktap_diag("%s: got %s", name, g);
        ktap_diag("%s: expected %s", name, want_hex);
    }
    ktap_ok(ok, name);
    return ok;
}

static const char SUNSCREEN[] = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
                                "for the future, sunscreen would be it.";

static void test_sha2(void)
{
    uint8_t h[64];
    sha256("abc", 3, h);
    check_hex("sha256_abc", h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256(m448, sizeof m448 - 1, h);
    check_hex("sha256_448_bits", h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sha256("", 0, h);
    check_hex("sha256_empty", h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    static uint8_t a[1000];
    memset(a, 'a', sizeof a);
    struct sha256 s;
    sha256_init(&s);
    for (int i = 0; i < 1000; i++)
        sha256_update(&s, a, sizeof a);
    sha256_final(&s, h);
    check_hex("sha256_million_a", h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* The same message in uneven pieces: buffering across block edges. */
    sha256_init(&s);
    for (size_t off = 0, step = 1; off < sizeof m448 - 1; off += step, step = step * 3 % 17 + 1)
        sha256_update(&s, m448 + off, off + step > sizeof m448 - 1 ? sizeof m448 - 1 - off : step);
    sha256_final(&s, h);
    check_hex("sha256_in_pieces", h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

    sha512("abc", 3, h);
    check_hex("sha512_abc", h, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                               "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    static const char m896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                               "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    sha512(m896, sizeof m896 - 1, h);
    check_hex("sha512_896_bits", h, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                                    "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
    sha512("", 0, h);
    check_hex("sha512_empty", h, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                                 "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    struct sha512 s5;
    sha512_init(&s5);
    for (int i = 0; i < 1000; i++)
        sha512_update(&s5, a, sizeof a);
    sha512_final(&s5, h);
    check_hex("sha512_million_a", h, "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
                                     "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
}

/* RFC 4231 section 4: key, data, HMAC-SHA-256, HMAC-SHA-512 (test 5 truncated to 128 bits). */
static void test_hmac(void)
{
    static uint8_t key[131], data[160];
    static const char *names256[7] = {"hmac_sha256_rfc4231_1", "hmac_sha256_rfc4231_2", "hmac_sha256_rfc4231_3",
                                      "hmac_sha256_rfc4231_4", "hmac_sha256_rfc4231_5", "hmac_sha256_rfc4231_6",
                                      "hmac_sha256_rfc4231_7"};
    static const char *names512[7] = {"hmac_sha512_rfc4231_1", "hmac_sha512_rfc4231_2", "hmac_sha512_rfc4231_3",
                                      "hmac_sha512_rfc4231_4", "hmac_sha512_rfc4231_5", "hmac_sha512_rfc4231_6",
                                      "hmac_sha512_rfc4231_7"};
    static const char *want256[7] = {
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        "a3b6167473100ee06e0c796c2955552b",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    };
    static const char *want512[7] = {
        "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
        "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
        "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
        "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
        "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
        "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
        "415fad6271580a531d4179bc891d87a6",
        "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
        "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
        "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
        "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
    };
    for (int t = 0; t < 7; t++) {
        size_t klen, dlen;
        switch (t) {
        case 0: klen = 20; memset(key, 0x0b, klen); dlen = 8; memcpy(data, "Hi There", dlen); break;
        case 1: klen = 4; memcpy(key, "Jefe", 4); dlen = 28; memcpy(data, "what do ya want for nothing?", dlen); break;
        case 2: klen = 20; memset(key, 0xaa, klen); dlen = 50; memset(data, 0xdd, dlen); break;
        case 3:
            klen = 25;
            for (int i = 0; i < 25; i++)
                key[i] = (uint8_t)(i + 1);
            dlen = 50;
            memset(data, 0xcd, dlen);
            break;
        case 4: klen = 20; memset(key, 0x0c, klen); dlen = 20; memcpy(data, "Test With Truncation", dlen); break;
        case 5:
            klen = 131; memset(key, 0xaa, klen);
            dlen = 54; memcpy(data, "Test Using Larger Than Block-Size Key - Hash Key First", dlen);
            break;
        default:
            klen = 131; memset(key, 0xaa, klen);
            dlen = 152;
            memcpy(data, "This is a test using a larger than block-size key and a larger than block-size data. "
                         "The key needs to be hashed before being used by the HMAC algorithm.", dlen);
            break;
        }
        uint8_t h[64];
        hmac_sha256(key, klen, data, dlen, h);
        check_hex(names256[t], h, want256[t]);
        hmac_sha512(key, klen, data, dlen, h);
        check_hex(names512[t], h, want512[t]);
    }
}

/* RFC 5869 appendix A, test cases 1-3 (SHA-256). */
static void test_hkdf(void)
{
    uint8_t ikm[80], salt[80], info[80], okm[82];
    memset(ikm, 0x0b, 22);
    for (int i = 0; i < 13; i++)
        salt[i] = (uint8_t)i;
    for (int i = 0; i < 10; i++)
        info[i] = (uint8_t)(0xf0 + i);
    hkdf_sha256(salt, 13, ikm, 22, info, 10, okm, 42);
    check_hex("hkdf_sha256_rfc5869_1", okm,
              "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    for (int i = 0; i < 80; i++) {
        ikm[i] = (uint8_t)i;
        salt[i] = (uint8_t)(0x60 + i);
        info[i] = (uint8_t)(0xb0 + i);
    }
    hkdf_sha256(salt, 80, ikm, 80, info, 80, okm, 82);
    check_hex("hkdf_sha256_rfc5869_2", okm,
              "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
              "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
              "cc30c58179ec3e87c14c01d5c1f3434f1d87");
    memset(ikm, 0x0b, 22);
    hkdf_sha256("", 0, ikm, 22, "", 0, okm, 42);
    check_hex("hkdf_sha256_rfc5869_3", okm,
              "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    KTAP_EXPECT_EQ("hkdf_sha256_refuses_too_long", hkdf_sha256("", 0, ikm, 22, "", 0, okm, 255 * 32 + 1), -1);
}

/* RFC 7748 sections 5.2 and 6.1. */
static void test_x25519(void)
{
    uint8_t k[32], u[32], out[32], t[32];
    unhex(k, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    unhex(u, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    x25519(out, k, u);
    check_hex("x25519_rfc7748_vector_1", out, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
    unhex(k, "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d");
    /* The top bit of this u is set: X25519 ignores it. */
    unhex(u, "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493");
    x25519(out, k, u);
    check_hex("x25519_rfc7748_vector_2", out, "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");

    memset(k, 0, 32);
    k[0] = 9;
    memcpy(u, k, 32);
    uint64_t c0 = p2p_cycles();
    for (int i = 1; i <= 1000; i++) {
        x25519(t, k, u);
        memcpy(u, k, 32);
        memcpy(k, t, 32);
        if (i == 1)
            check_hex("x25519_rfc7748_iterated_1", k, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
    }
    uint64_t c1 = p2p_cycles();
    check_hex("x25519_rfc7748_iterated_1000", k, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
    ktap_metric("x25519_cycles", (unsigned long)((c1 - c0) / 1000), "cycles");

    uint8_t a[32], b[32], apub[32], bpub[32], s1[32], s2[32];
    unhex(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    unhex(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    x25519_base(apub, a);
    x25519_base(bpub, b);
    check_hex("x25519_rfc7748_alice_public", apub, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    check_hex("x25519_rfc7748_bob_public", bpub, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    x25519(s1, a, bpub);
    x25519(s2, b, apub);
    check_hex("x25519_rfc7748_shared_alice", s1, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    check_hex("x25519_rfc7748_shared_bob", s2, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    memset(u, 0, 32); /* u = 0 has order 4: the result is all zeros and refused */
    KTAP_EXPECT_EQ("x25519_low_order_point_refused", x25519(out, a, u), -1);
}

/* RFC 8032 section 7.1: TEST 1, 2, 3 and SHA(abc). */
static void test_ed25519(void)
{
    static const char *v[4][4] = {
        {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
        {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
        {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
         "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
        {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
         "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
         "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
         "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
    };
    static const char *names[4] = {"test_1", "test_2", "test_3", "test_sha_abc"};
    uint8_t seed[32], pub[32], msg[64], sig[64], want[64];
    char name[64];
    uint64_t sign_cycles = 0, verify_cycles = 0;
    for (int t = 0; t < 4; t++) {
        unhex(seed, v[t][0]);
        int n = unhex(msg, v[t][2]);
        ed25519_public(pub, seed);
        snprintf(name, sizeof name, "ed25519_rfc8032_%s_public", names[t]);
        check_hex(name, pub, v[t][1]);
        uint64_t c0 = p2p_cycles();
        ed25519_sign(sig, seed, pub, msg, (size_t)n);
        uint64_t c1 = p2p_cycles();
        snprintf(name, sizeof name, "ed25519_rfc8032_%s_sign", names[t]);
        check_hex(name, sig, v[t][3]);
        unhex(want, v[t][3]);
        snprintf(name, sizeof name, "ed25519_rfc8032_%s_verify", names[t]);
        uint64_t c2 = p2p_cycles();
        ktap_ok(ed25519_verify(want, pub, msg, (size_t)n), name);
        uint64_t c3 = p2p_cycles();
        sign_cycles += c1 - c0;
        verify_cycles += c3 - c2;
    }
    ktap_metric("ed25519_sign_cycles", (unsigned long)(sign_cycles / 4), "cycles");
    ktap_metric("ed25519_verify_cycles", (unsigned long)(verify_cycles / 4), "cycles");

    /* Forgeries: TEST 3's signature with one bit flipped in R, in S, in the message; S + L. */
    unhex(seed, v[2][0]);
    unhex(pub, v[2][1]);
    int n = unhex(msg, v[2][2]);
    unhex(sig, v[2][3]);
    sig[5] ^= 0x10;
    ktap_ok(!ed25519_verify(sig, pub, msg, (size_t)n), "ed25519_rejects_flipped_r");
    sig[5] ^= 0x10;
    sig[40] ^= 0x01;
    ktap_ok(!ed25519_verify(sig, pub, msg, (size_t)n), "ed25519_rejects_flipped_s");
    sig[40] ^= 0x01;
    msg[1] ^= 0x80;
    ktap_ok(!ed25519_verify(sig, pub, msg, (size_t)n), "ed25519_rejects_changed_message");
    msg[1] ^= 0x80;
    /* S + L is the same scalar mod L, but not canonical: RFC 8032 5.1.7 rejects it. */
    static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        carry += sig[32 + i] + L[i];
        sig[32 + i] = (uint8_t)carry;
        carry >>= 8;
    }
    ktap_ok(!ed25519_verify(sig, pub, msg, (size_t)n), "ed25519_rejects_s_plus_l");
    /* A public key that is not a point: y = 2 has no x on the curve. */
    uint8_t bad[32] = {2};
    unhex(sig, v[2][3]);
    ktap_ok(!ed25519_verify(sig, bad, msg, (size_t)n), "ed25519_rejects_key_off_curve");
}

/* RFC 8439 sections 2.3.2, 2.4.2, 2.5.2, 2.6.2 and 2.8.2. */
static void test_chachapoly(void)
{
    uint8_t key[32], nonce[12], out[160], buf[160];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    unhex(nonce, "000000090000004a00000000");
    chacha20_block(key, 1, nonce, out);
    check_hex("chacha20_rfc8439_block", out,
              "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
              "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
    unhex(nonce, "000000000000004a00000000");
    size_t n = sizeof SUNSCREEN - 1;
    chacha20_xor(key, 1, nonce, (const uint8_t *)SUNSCREEN, out, n);
    check_hex("chacha20_rfc8439_encrypt", out,
              "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
              "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
              "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
              "5af90bbf74a35be6b40b8eedf2785e42874d");
    uint8_t pkey[32], tag[16];
    unhex(pkey, "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
    poly1305(pkey, (const uint8_t *)"Cryptographic Forum Research Group", 34, tag);
    check_hex("poly1305_rfc8439_tag", tag, "a8061dc1305136c6c22b8baf0c0127a9");
    unhex(key, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    unhex(nonce, "000000000001020304050607");
    chacha20_block(key, 0, nonce, out);
    check_hex("poly1305_rfc8439_key_generation", out, "8ad5a08b905f81cc815040274ab29471a833b637e3fd0da508dbb8e2fdd1a646");

    uint8_t aad[12];
    unhex(aad, "50515253c0c1c2c3c4c5c6c7");
    unhex(nonce, "070000004041424344454647");
    uint64_t c0 = p2p_cycles();
    chachapoly_seal(key, nonce, aad, sizeof aad, (const uint8_t *)SUNSCREEN, n, out);
    uint64_t c1 = p2p_cycles();
    check_hex("chachapoly_rfc8439_seal", out,
              "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
              "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
              "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
              "3ff4def08e4b7a9de576d26586cec64b6116"
              "1ae10b594f09e26a7e902ecbd0600691");
    ktap_metric("chachapoly_seal_114_bytes_cycles", (unsigned long)(c1 - c0), "cycles");
    memset(buf, 0, sizeof buf);
    bool ok = chachapoly_open(key, nonce, aad, sizeof aad, out, n + 16, buf) == 0 && memcmp(buf, SUNSCREEN, n) == 0;
    ktap_ok(ok, "chachapoly_rfc8439_open");
    out[n + 3] ^= 1;
    memset(buf, 0, sizeof buf);
    ok = chachapoly_open(key, nonce, aad, sizeof aad, out, n + 16, buf) == -1 && buf[0] == 0;
    ktap_ok(ok, "chachapoly_rejects_bad_tag");
    out[n + 3] ^= 1;
    out[7] ^= 0x40;
    ktap_ok(chachapoly_open(key, nonce, aad, sizeof aad, out, n + 16, buf) == -1, "chachapoly_rejects_changed_ciphertext");
    out[7] ^= 0x40;
    aad[0] ^= 1;
    ktap_ok(chachapoly_open(key, nonce, aad, sizeof aad, out, n + 16, buf) == -1, "chachapoly_rejects_changed_aad");
}

int main(void)
{
    ktap_begin("p2p_crypto", 62);
    test_sha2();
    test_hmac();
    test_hkdf();
    test_x25519();
    test_ed25519();
    test_chachapoly();
    return ktap_done();
}
