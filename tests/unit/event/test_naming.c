/*
 * tests/unit/event/test_naming.c - the eventType naming rules: the grammar (segments,
 * domain with dots, version), past tense (regular -ed, the -eed and -ed exceptions,
 * irregular verbs with and without prefixes, hyphenated actions, configured verbs),
 * allowed domains and sub-domains, and checking a rules object.
 */
#include "fixture.h"

static int past(const char *action)
{
    return rn_event_action_is_past_tense(action, strlen(action), NULL);
}

/* Parses type; returns the number of errors (0: valid) and the first message. */
static size_t parse_type(const char *type, const rn_event_rules *rules, rn_event_type *t, char *msg,
                         size_t cap)
{
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    int rc = rn_event_type_parse(type, strlen(type), rules, t, &errs);
    cr_expect_eq(rc == RN_OK, errs.n == 0, "%s: rc %d with %zu errors", type, rc, errs.n);
    if (msg) snprintf(msg, cap, "%s", errs.n ? errs.e[0].msg : "");
    for (size_t i = 0; i < errs.n; i++)
        cr_expect_str_eq(errs.e[i].path, "/eventType");
    return errs.n;
}

/* ------------------------------------------------------------------ grammar */

Test(grammar, parts)
{
    rn_event_type t;
    cr_assert_eq(parse_type("order.created.v1", NULL, &t, NULL, 0), 0);
    cr_expect_eq(t.domain_len, 5);
    cr_expect_eq(t.action_len, 7);
    cr_expect_eq(t.version, 1);
    cr_assert_eq(parse_type("order.item.added.v42", NULL, &t, NULL, 0), 0);
    cr_expect_eq(strncmp(t.domain, "order.item", t.domain_len), 0);
    cr_expect_eq(t.domain_len, 10);
    cr_expect_eq(strncmp(t.action, "added", t.action_len), 0);
    cr_expect_eq(t.version, 42);
    cr_assert_eq(parse_type("a.b2.c-d.e-f-3.shipped.v999999999", NULL, &t, NULL, 0), 0);
    cr_expect_eq(t.version, 999999999u);
}

Test(grammar, well_formed_types)
{
    const char *ok[] = {"order.created.v1",  "payment.processed.v1",    "a.deleted.v1",
                        "order2.updated.v3", "user-account.created.v1", "b2b.order.placed.v10",
                        "x.y.z.w.sent.v1"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        cr_expect_eq(parse_type(ok[i], NULL, NULL, NULL, 0), 0, "%s", ok[i]);
}

Test(grammar, malformed_types)
{
    struct {
        const char *type, *msg;
    } cases[] = {
        {"created.v1", "\"created.v1\": must have the form {domain}.{action}.v{N}, e.g. "
                       "\"order.created.v1\""},
        {"v1", "\"v1\": must have the form {domain}.{action}.v{N}, e.g. \"order.created.v1\""},
        {"order.created.v0", "\"order.created.v0\": version \"v0\" must be \"v\" and a number "
                             "from 1 without leading zeros, e.g. \"v1\""},
        {"order.created.v01", "\"order.created.v01\": version \"v01\" must be \"v\" and a "
                              "number from 1 without leading zeros, e.g. \"v1\""},
        {"order.created.1", "\"order.created.1\": version \"1\" must be \"v\" and a number "
                            "from 1 without leading zeros, e.g. \"v1\""},
        {"order.created.v", "\"order.created.v\": version \"v\" must be \"v\" and a number "
                            "from 1 without leading zeros, e.g. \"v1\""},
        {"order.created.v1234567890", "\"order.created.v1234567890\": version \"v1234567890\" "
                                      "must be \"v\" and a number from 1 without leading "
                                      "zeros, e.g. \"v1\""},
        {"order.created.v1.", "\"order.created.v1.\": version \"\" must be \"v\" and a number "
                              "from 1 without leading zeros, e.g. \"v1\""},
        {".order.created.v1", "\".order.created.v1\": has an empty segment"},
        {"order..created.v1", "\"order..created.v1\": has an empty segment"},
        {"order.Created.v1", "\"order.Created.v1\": segment \"Created\" must be lowercase "
                             "letters, digits and single hyphens, starting with a letter"},
        {"1order.created.v1", "\"1order.created.v1\": segment \"1order\" must be lowercase "
                              "letters, digits and single hyphens, starting with a letter"},
        {"order_x.created.v1", "\"order_x.created.v1\": segment \"order_x\" must be lowercase "
                               "letters, digits and single hyphens, starting with a letter"},
        {"order-.created.v1", "\"order-.created.v1\": segment \"order-\" must be lowercase "
                              "letters, digits and single hyphens, starting with a letter"},
        {"order--x.created.v1", "\"order--x.created.v1\": segment \"order--x\" must be "
                                "lowercase letters, digits and single hyphens, starting with "
                                "a letter"},
        {"order.created .v1", "\"order.created .v1\": segment \"created \" must be lowercase "
                              "letters, digits and single hyphens, starting with a letter"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char msg[RN_EVENT_MSG_MAX];
        cr_expect_eq(parse_type(cases[i].type, NULL, NULL, msg, sizeof msg), 1, "%s",
                     cases[i].type);
        cr_expect_str_eq(msg, cases[i].msg);
    }
}

Test(grammar, too_long)
{
    char type[300];
    memset(type, 'a', 256);
    type[256] = '\0';
    memcpy(type + 240, ".created.v1", 12);
    cr_assert_eq(strlen(type), 251);
    cr_expect_eq(parse_type(type, NULL, NULL, NULL, 0), 0);
    memset(type, 'a', 260);
    memcpy(type + 249, ".created.v1", 12);
    char msg[RN_EVENT_MSG_MAX];
    cr_expect_eq(parse_type(type, NULL, NULL, msg, sizeof msg), 1);
    cr_expect(strstr(msg, ": longer than 255 bytes") != NULL, "%s", msg);
}

Test(grammar, out_is_filled_when_a_rule_fails)
{
    rn_event_type t = {0};
    cr_expect_eq(parse_type("order.create.v3", NULL, &t, NULL, 0), 1);
    cr_expect_eq(t.version, 3);
    cr_expect_eq(t.action_len, 6);
}

/* ------------------------------------------------------------------ past tense */

Test(past_tense, regular_ed)
{
    const char *yes[] = {"created",   "updated",  "deleted",    "processed", "shipped",
                         "cancelled", "canceled", "onboarded",  "approved",  "placed",
                         "agreed",    "freed",    "guaranteed", "embedded",  "shredded",
                         "proceeded", "succeeded"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        cr_expect(past(yes[i]), "%s should be past tense", yes[i]);
}

Test(past_tense, present_forms_rejected)
{
    const char *no[] = {"create", "update", "delete", "process", "ship",    "cancel", "pay",
                        "send",   "hold",   "need",   "proceed", "succeed", "exceed", "feed",
                        "speed",  "embed",  "shred",  "sled",    "bed",     "red",    "ed",
                        "d",      "status", "run",    "come",    "become",  "output", "fit"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        cr_expect(!past(no[i]), "%s should not be past tense", no[i]);
}

Test(past_tense, irregular_from_the_brief)
{
    const char *yes[] = {
        "paid",    "sent",   "held",    "built",     "sold",       "bought", "made",  "won",
        "lost",    "kept",   "left",    "met",       "read",       "set",    "put",   "cut",
        "shut",    "split",  "spread",  "begun",     "began",      "done",   "given", "taken",
        "written", "chosen", "frozen",  "broken",    "spent",      "found",  "bound", "brought",
        "caught",  "taught", "thought", "sought",    "told",       "laid",   "led",   "fed",
        "fled",    "dealt",  "felt",    "meant",     "slept",      "swept",  "drawn", "grown",
        "known",   "shown",  "thrown",  "withdrawn", "overridden", "hidden", "ridden"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        cr_expect(past(yes[i]), "%s should be past tense", yes[i]);
}

Test(past_tense, prefixed_irregular)
{
    const char *yes[] = {"repaid",    "prepaid", "overpaid", "underpaid", "unbound", "rebuilt",
                         "resent",    "reset",   "misled",   "withheld",  "upheld",  "forecast",
                         "rewritten", "undone",  "resold",   "remade"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        cr_expect(past(yes[i]), "%s should be past tense", yes[i]);
    /* A prefix alone or a prefix on a present form is not enough. */
    cr_expect(!past("re"));
    cr_expect(!past("repay"));
    cr_expect(!past("unbind"));
}

Test(past_tense, hyphenated_actions_use_the_last_word)
{
    cr_expect(past("line-item-added"));
    cr_expect(past("status-changed"));
    cr_expect(past("payment-sent"));
    cr_expect(!past("added-to-cart"));
    cr_expect(!past("send-email"));
}

Test(past_tense, builtin_list_is_sorted_and_each_entry_accepted)
{
    size_t n;
    const char *const *list = rn_event_past_tense_builtin(&n);
    cr_assert_gt(n, 150);
    for (size_t i = 0; i < n; i++) {
        if (i) cr_expect_lt(strcmp(list[i - 1], list[i]), 0, "%s >= %s", list[i - 1], list[i]);
        cr_expect(past(list[i]), "%s", list[i]);
    }
}

Test(past_tense, configured_verbs)
{
    const char *verbs[] = {"kickoff", "go-live"};
    rn_event_rules rules = {NULL, 0, verbs, 2};
    cr_expect(rn_event_action_is_past_tense("kickoff", 7, &rules));
    cr_expect(rn_event_action_is_past_tense("project-kickoff", 15, &rules));
    cr_expect(rn_event_action_is_past_tense("go-live", 7, &rules));
    cr_expect(!rn_event_action_is_past_tense("kickoffs", 8, &rules));
    cr_expect(!rn_event_action_is_past_tense("kickoff", 7, NULL));
    /* Built-in rules still apply. */
    cr_expect(rn_event_action_is_past_tense("created", 7, &rules));
    rn_event_type t;
    cr_expect_eq(parse_type("project.kickoff.v1", &rules, &t, NULL, 0), 0);
}

/* ------------------------------------------------------------------ domains */

Test(domains, allowed_and_sub_domains)
{
    const char *domains[] = {"order", "payment.card"};
    rn_event_rules rules = {domains, 2, NULL, 0};
    char msg[RN_EVENT_MSG_MAX];
    cr_expect_eq(parse_type("order.created.v1", &rules, NULL, NULL, 0), 0);
    cr_expect_eq(parse_type("order.item.added.v1", &rules, NULL, NULL, 0), 0);
    cr_expect_eq(parse_type("payment.card.charged.v1", &rules, NULL, NULL, 0), 0);
    cr_expect_eq(parse_type("payment.card.secure.verified.v1", &rules, NULL, NULL, 0), 0);
    cr_expect_eq(parse_type("orders.created.v1", &rules, NULL, msg, sizeof msg), 1);
    cr_expect_str_eq(msg, "\"orders.created.v1\": domain \"orders\" is not allowed");
    cr_expect_eq(parse_type("payment.refunded.v1", &rules, NULL, msg, sizeof msg), 1);
    cr_expect_str_eq(msg, "\"payment.refunded.v1\": domain \"payment\" is not allowed");
    cr_expect_eq(parse_type("payment.cards.added.v1", &rules, NULL, NULL, 0), 1);
}

/* ------------------------------------------------------------------ rules object */

Test(rules, check)
{
    rn_err err;
    cr_expect_eq(rn_event_rules_check(NULL, &err), RN_OK);
    rn_event_rules zero = {0};
    cr_expect_eq(rn_event_rules_check(&zero, &err), RN_OK);
    const char *good_d[] = {"order", "payment.card", "b2b-sales"};
    const char *good_v[] = {"kickoff", "go-live"};
    rn_event_rules r = {good_d, 3, good_v, 2};
    cr_expect_eq(rn_event_rules_check(&r, &err), RN_OK);

    const char *bad_d[] = {"Order"};
    r = (rn_event_rules){bad_d, 1, NULL, 0};
    cr_expect_eq(rn_event_rules_check(&r, &err), RN_EINVAL);
    cr_expect(strstr(err.msg, "allowed domain 'Order'") != NULL, "%s", err.msg);
    const char *bad_d2[] = {"order."};
    r = (rn_event_rules){bad_d2, 1, NULL, 0};
    cr_expect_eq(rn_event_rules_check(&r, &err), RN_EINVAL);
    const char *bad_d3[] = {""};
    r = (rn_event_rules){bad_d3, 1, NULL, 0};
    cr_expect_eq(rn_event_rules_check(&r, &err), RN_EINVAL);
    const char *bad_v[] = {"kick.off"};
    r = (rn_event_rules){NULL, 0, bad_v, 1};
    cr_expect_eq(rn_event_rules_check(&r, &err), RN_EINVAL);
    cr_expect(strstr(err.msg, "past-tense verb 'kick.off'") != NULL, "%s", err.msg);
    r = (rn_event_rules){NULL, 2, NULL, 0};
    cr_expect_eq(rn_event_rules_check(&r, &err), RN_EINVAL);
}
