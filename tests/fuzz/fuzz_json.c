/*
 * tests/fuzz/fuzz_json.c - differential fuzzing of rn_json_parse (yajl building jansson
 * values) against jansson's own json_loadb with the same options: whenever both accept
 * an input they must produce equal documents; neither may crash or leak.
 */
#include "common/json.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rn_json_error e;
    json_t *mine = rn_json_parse(data, size, &e);
    json_error_t je;
    json_t *ref = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                             &je);
    if (mine && ref && !json_equal(mine, ref))
        abort();
    json_decref(mine);
    json_decref(ref);
    return 0;
}
