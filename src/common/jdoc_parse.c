/*
 * common/jdoc_parse.c - TEMPORARY: parses with jansson and copies (the fast parser
 * replaces this file).
 */
#include "common/jdoc.h"

#include <stdio.h>
#include <string.h>

int rn_jdoc_parse(rn_arena *a, const void *buf, size_t len, const rn_jval **out,
                  rn_jdoc_error *e)
{
    *out = NULL;
    json_error_t je;
    json_t *j = json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!j) {
        if (e) {
            snprintf(e->text, sizeof e->text, "%.100s", je.text);
            e->position = (size_t)je.position;
            e->line = je.line;
            e->column = je.column;
        }
        return RN_EINVAL;
    }
    int rc = rn_jdoc_from_jansson(a, j, out);
    json_decref(j);
    if (rc == RN_EINVAL && e) {
        snprintf(e->text, sizeof e->text, "\\u0000 in a string");
        e->position = 0;
        e->line = 1;
        e->column = 1;
    }
    return rc;
}
