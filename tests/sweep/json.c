/*
 * json.c — the sweep's JSON path reader (bench/sweep/json.c), on kmodel-shaped output and on
 * bad input: absent paths and broken text give -1, never a crash.
 */
#include "bench/sweep/sweep.h"
#include "tests/harness.h"

static const char doc[] =
    "{\"model\":\"kmodel\",\"time\":{\"simulated_ns\":1565260870},"
    "\"vmstat\":{\"pswpin\":131072,\"pswpout\":196907,\"oom_kill\":0},"
    "\"processes\":[{\"pid\":1000,\"name\":\"others\",\"state\":\"running\"},"
    "{\"pid\":1001,\"name\":\"w\",\"state\":\"oom-killed\",\"minflt\":981352,\"x\":[1,{\"y\":[]}]}]"
    ","
    "\"memcgs\":[],\"events\":\"t=1.5ms a:7: w mmap: ENOMEM\\nquote \\\" and \\\\ kept\\n\","
    "\"neg\":-1.5e3,\"t\":true,\"n\":null}";

TEST_BEGIN(reads_numbers_strings_and_indexes)
{
    char buf[256];
    double v;
    expect_d_eq(sw_json_num(doc, "vmstat.pswpout", &v), 0, "");
    expect_f_ge(v, 196907, "");
    expect_f_le(v, 196907, "");
    expect_d_eq(sw_json_get(doc, "processes.1.name", buf, sizeof(buf)), 0, "");
    expect_str_eq(buf, "w");
    expect_d_eq(sw_json_get(doc, "processes.1.state", buf, sizeof(buf)), 0, "");
    expect_str_eq(buf, "oom-killed");
    expect_d_eq(sw_json_num(doc, "processes.1.minflt", &v), 0, "");
    expect_f_ge(v, 981352, "");
    expect_d_eq(sw_json_num(doc, "neg", &v), 0, "");
    expect_f_le(v, -1500, "");
    expect_d_eq(sw_json_get(doc, "events", buf, sizeof(buf)), 0, "");
    expect_true(strstr(buf, "w mmap: ENOMEM") != NULL, "events: %s", buf);
    expect_true(strstr(buf, "quote \" and \\") != NULL, "escapes: %s", buf);
    expect_d_eq(sw_json_get(doc, "processes.1.x.1.y", buf, sizeof(buf)), 0, "");
    expect_str_eq(buf, "[");
    expect_d_eq(sw_json_get(doc, "t", buf, sizeof(buf)), 0, "");
    expect_str_eq(buf, "true");
}
TEST_END

TEST_BEGIN(absent_paths)
{
    char buf[64];
    double v;
    expect_d_eq(sw_json_get(doc, "vmstat.pgfault", buf, sizeof(buf)), -1, "");
    expect_d_eq(sw_json_get(doc, "processes.2.name", buf, sizeof(buf)), -1, "");
    expect_d_eq(sw_json_get(doc, "memcgs.0.failcnt", buf, sizeof(buf)), -1, "");
    expect_d_eq(sw_json_get(doc, "model.x", buf, sizeof(buf)), -1, "");
    expect_d_eq(sw_json_num(doc, "model", &v), -1, "a string is not a number");
    expect_d_eq(sw_json_num(doc, "n", &v), -1, "null is not a number");
}
TEST_END

TEST_BEGIN(broken_text)
{
    static const char *const bad[] = {"",
                                      "{",
                                      "{\"a\":",
                                      "{\"a\":1,",
                                      "{\"a\" 1}",
                                      "{\"a\":\"unterminated}",
                                      "[1,2",
                                      "{\"vmstat\":{\"pswpin\":}}",
                                      "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]"
                                      "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
                                      "]]],\"b\":1}"};
    char buf[64];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_d_eq(sw_json_get(bad[i], "vmstat.pswpin", buf, sizeof(buf)), -1, "input %zu", i);
    /* Deeper than the reader follows: refused, not a stack overflow. */
    expect_d_eq(sw_json_get(bad[8], "b", buf, sizeof(buf)), -1, "too deep");
    /* A value cut short by a small buffer is still terminated. */
    expect_d_eq(sw_json_get(doc, "processes.1.state", buf, 4), 0, "");
    expect_str_eq(buf, "oom");
}
TEST_END

int main(int argc, char **argv)
{
    // cppcheck-suppress cppcheckError
    return TEST_MAIN(argc, argv, reads_numbers_strings_and_indexes, absent_paths, broken_text);
}
