#!/usr/bin/env python3
"""
tools/gen_kmsg.py - generates Runnel's Kafka wire codec (src/kafka/msg/kmsg_gen.{h,c})
from Apache Kafka's JSON message definitions.

    python3 tools/gen_kmsg.py ../shared/spec/kafka-messages src/kafka/msg

Reads every *Request.json, *Response.json, RequestHeader.json, ResponseHeader.json,
ConsumerProtocolSubscription.json and ConsumerProtocolAssignment.json in the spec
directory (JSON with // comments) and writes, for each message M (snake name m):

    typedef struct rn_kmsg_m {...} rn_kmsg_m;   plus one struct per nested struct
    void rn_kmsg_m_init(rn_kmsg_m *msg);         and rn_kmsg_m_<struct>_init(...)
    int rn_kmsg_m_decode(rn_reader *r, int16_t version, rn_arena *a, rn_kmsg_m *out,
                         rn_err *err);
    int rn_kmsg_m_encode(rn_buf *b, int16_t version, const rn_kmsg_m *msg);

plus the API table (rn_kmsg_apis, rn_kmsg_api_lookup), the message descriptors
(rn_kmsg_descs, rn_kmsg_request_desc, rn_kmsg_response_desc) and per-struct reflection
tables. The wire primitives the generated code calls are hand-written in kmsg.c.

Output is deterministic: inputs are read in sorted order and nothing depends on hash
order or the environment, so re-running the generator reproduces the committed files.
Python 3 standard library only.
"""

import json
import os
import re
import sys

MAXV = 0x7FFF  # "N+" means versions N..MAXV

C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
    "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
    "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
    "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "true",
    "false", "alignas", "alignof", "noreturn", "static_assert", "thread_local",
}

# JSON type -> (C type, reflection tag, decode expression, encode statement template)
# In the templates {L} is the lvalue, {F} the flexible flag, {N} the nullable flag.
PRIMS = {
    "bool": ("bool", "BOOL", "rn_rd_i8(r) != 0", "rn_buf_put_i8(w->b, {L} ? 1 : 0);"),
    "int8": ("int8_t", "INT8", "rn_rd_i8(r)", "rn_buf_put_i8(w->b, {L});"),
    "int16": ("int16_t", "INT16", "rn_rd_i16(r)", "rn_buf_put_i16(w->b, {L});"),
    "uint16": ("uint16_t", "UINT16", "rn_rd_u16(r)", "rn_buf_put_i16(w->b, (int16_t){L});"),
    "int32": ("int32_t", "INT32", "rn_rd_i32(r)", "rn_buf_put_i32(w->b, {L});"),
    "uint32": ("uint32_t", "UINT32", "rn_rd_u32(r)", "rn_buf_put_u32(w->b, {L});"),
    "int64": ("int64_t", "INT64", "rn_rd_i64(r)", "rn_buf_put_i64(w->b, {L});"),
    "float64": ("double", "FLOAT64", "rn_rd_f64(r)", "rn_buf_put_f64(w->b, {L});"),
    "string": ("rn_kstr", "STRING", "rn_kmsg_rd_str(r, {F}, {N})",
               "rn_kmsg_wr_str(w, {L}, {F}, {N});"),
    "bytes": ("rn_kbytes", "BYTES", "rn_kmsg_rd_bytes(r, {F}, {N})",
              "rn_kmsg_wr_bytes(w, {L}, {F}, {N});"),
    "records": ("rn_kbytes", "RECORDS", "rn_kmsg_rd_bytes(r, {F}, {N})",
                "rn_kmsg_wr_bytes(w, {L}, {F}, {N});"),
    "uuid": ("rn_kuuid", "UUID", "rn_kmsg_rd_uuid(r)", "rn_kmsg_wr_uuid(w, &{L});"),
}
INT_BITS = {"int8": 8, "int16": 16, "int32": 32, "int64": 64, "uint16": 16, "uint32": 32}

WIDTH = 100  # .clang-format ColumnLimit
IND = "    "


class GenError(Exception):
    pass


# ------------------------------------------------------------------ JSON input


def strip_comments(text):
    """Removes // comments outside string literals (the specs are JSON plus comments)."""
    out = []
    i, n = 0, len(text)
    in_str = False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif c == "/" and i + 1 < n and text[i + 1] == "/":
            while i < n and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def parse_range(spec, what):
    """ "N", "N-M", "N+" or "none" -> (lo, hi) or None."""
    s = str(spec).strip()
    if s == "none":
        return None
    m = re.fullmatch(r"(\d+)\+", s)
    if m:
        return (int(m.group(1)), MAXV)
    m = re.fullmatch(r"(\d+)-(\d+)", s)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo > hi:
            raise GenError(f"{what}: empty version range {s!r}")
        return (lo, hi)
    m = re.fullmatch(r"\d+", s)
    if m:
        return (int(s), int(s))
    raise GenError(f"{what}: bad version range {s!r}")


def isect(a, b):
    if a is None or b is None:
        return None
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo <= hi else None


def cond(rng, known):
    """A C expression in v that is true iff v is in rng, given that v is in known."""
    r = isect(rng, known)
    if r is None:
        return "0"
    parts = []
    if r[0] > known[0]:
        parts.append(f"v >= {r[0]}")
    if r[1] < known[1]:
        parts.append(f"v <= {r[1]}")
    if not parts:
        return "1"
    if len(parts) == 2 and r[0] == r[1]:
        return f"v == {r[0]}"
    return " && ".join(parts)


def parse_int(s, what):
    """Kafka defaults: decimal, 0x-prefixed hex, or 0-prefixed octal, optionally signed."""
    m = re.fullmatch(r"\s*([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]+|\d+)\s*", s)
    if not m:
        raise GenError(f"{what}: bad integer default {s!r}")
    sign, digits = m.groups()
    if digits[:2].lower() == "0x":
        v = int(digits[2:], 16)
    elif len(digits) > 1 and digits[0] == "0":
        v = int(digits, 8)
    else:
        v = int(digits)
    return -v if sign == "-" else v


def fmt_range(r):
    if r is None:
        return "never"
    if r[1] == MAXV:
        return f"v{r[0]}+"
    if r[0] == r[1]:
        return f"v{r[0]}"
    return f"v{r[0]}-{r[1]}"


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def c_string(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        else:
            for byte in ch.encode("utf-8"):
                out.append(f"\\{byte:03o}")
    out.append('"')
    return "".join(out)


# ------------------------------------------------------------------ model


class Struct:
    def __init__(self, msg, jname, cname, short):
        self.msg = msg
        self.jname = jname  # JSON struct name ("TopicProduceData"), message name for the root
        self.cname = cname  # C type name
        self.short = short  # cname without the rn_kmsg_ prefix, for static helpers
        self.fields = []
        self.fields_json = None

    def tagged(self):
        return sorted((f for f in self.fields if f.tag is not None and f.tag_range), key=lambda f: f.tag)


class Field:
    pass


class Message:
    def __init__(self, path, d):
        self.path = path
        self.name = d["name"]
        self.kind = d["type"]  # request, response, header, data
        self.api_key = d.get("apiKey", -1)
        self.valid = parse_range(d["validVersions"], self.name + ".validVersions")
        if self.valid is None:
            raise GenError(f"{self.name}: no valid versions")
        self.flex = parse_range(d.get("flexibleVersions", "none"), self.name + ".flexibleVersions")
        if self.flex is not None and self.flex[1] != MAXV:
            raise GenError(f"{self.name}: flexibleVersions must be open-ended")
        self.unstable = bool(d.get("latestVersionUnstable", False))
        self.snake = snake(self.name)
        self.cname = "rn_kmsg_" + self.snake
        self.structs = []  # post-order: every struct after the structs it contains
        self.defs = {}  # JSON struct name -> its field list
        self.by_name = {}  # JSON struct name -> Struct, once built
        self.building = set()
        for cs in d.get("commonStructs", []):
            self.define(cs["name"], cs["fields"])
        self.collect(d["fields"])
        self.root = Struct(self, self.name, self.cname, self.snake)
        self.root.fields_json = d["fields"]
        # commonStructs come first (in file order), even if nothing uses them.
        for cs in d.get("commonStructs", []):
            self.struct(cs["name"])
        self.build(self.root)
        self.check_names()

    def define(self, jname, fields):
        if jname in self.defs:
            raise GenError(f"{self.name}: struct {jname} defined twice")
        self.defs[jname] = fields

    def collect(self, fields):
        """Registers every struct defined inline (a field with "fields"), so that fields
        may refer to a struct by name wherever it is defined, as Kafka's generator allows."""
        for fj in fields:
            if "fields" in fj:
                t = fj["type"]
                self.define(t[2:] if t.startswith("[]") else t, fj["fields"])
                self.collect(fj["fields"])

    def struct(self, jname):
        """The Struct for a JSON struct name, built (with what it contains) on first use."""
        if jname in self.by_name:
            return self.by_name[jname]
        if jname not in self.defs:
            return None
        if jname in self.building:
            raise GenError(f"{self.name}: struct {jname} contains itself")
        self.building.add(jname)
        sn = self.snake + "_" + snake(jname)
        s = Struct(self, jname, "rn_kmsg_" + sn, sn)
        s.fields_json = self.defs[jname]
        self.build(s)
        self.building.discard(jname)
        self.by_name[jname] = s
        return s

    def build(self, s):
        for fj in s.fields_json:
            s.fields.append(self.field(s, fj))
        self.structs.append(s)

    def field(self, parent, fj):
        f = Field()
        what = f"{self.name}.{parent.jname}.{fj['name']}"
        f.name = fj["name"]
        f.cname = snake(f.name)
        if f.cname in C_KEYWORDS:
            f.cname += "_"
        t = fj["type"]
        f.array = t.startswith("[]")
        base = t[2:] if f.array else t
        f.versions = parse_range(fj["versions"], what + ".versions")
        f.nullable = parse_range(fj.get("nullableVersions", "none"), what + ".nullableVersions")
        f.tagged = parse_range(fj.get("taggedVersions", "none"), what + ".taggedVersions")
        f.tag = fj.get("tag")
        if (f.tag is None) != (f.tagged is None):
            raise GenError(f"{what}: tag and taggedVersions go together")
        if f.tagged is not None and f.tagged[1] != MAXV:
            raise GenError(f"{what}: taggedVersions must be open-ended")
        f.flex = self.flex
        if "flexibleVersions" in fj:
            f.flex = parse_range(fj["flexibleVersions"], what + ".flexibleVersions")
        f.default = fj.get("default")
        if base in PRIMS:
            if "fields" in fj:
                raise GenError(f"{what}: primitive type with fields")
            f.base = base
            f.struct = None
        else:
            f.base = "struct"
            f.struct = self.struct(base)
            if f.struct is None:
                raise GenError(f"{what}: unknown type {t}")
            if not f.array and f.nullable is not None:
                raise GenError(f"{what}: nullable struct fields are not supported")
        if f.array and f.default is not None:
            raise GenError(f"{what}: arrays cannot have a default")
        present = isect(f.versions, self.valid)
        f.present = present
        # Positional ("regular") in versions before taggedVersions, tagged from then on.
        if f.tagged is None:
            f.reg_range = present
            f.tag_range = None
        else:
            f.reg_range = isect(present, (0, f.tagged[0] - 1)) if f.tagged[0] > 0 else None
            f.tag_range = isect(isect(present, f.tagged), self.flex)
            if isect(present, f.tagged) != f.tag_range:
                raise GenError(f"{what}: tagged in a non-flexible version")
        self.check_default(f, what)
        return f

    def check_default(self, f, what):
        d = f.default
        if f.base in INT_BITS:
            v = 0 if d is None else parse_int(str(d), what)
            bits = INT_BITS[f.base]
            lo, hi = (0, (1 << bits) - 1) if f.base.startswith("u") else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
            if not lo <= v <= hi:
                raise GenError(f"{what}: default {d!r} out of range")
            f.defval = v
        elif f.base == "bool":
            if d is None or str(d).lower() == "false":
                f.defval = False
            elif str(d).lower() == "true":
                f.defval = True
            else:
                raise GenError(f"{what}: bad bool default {d!r}")
        elif f.base == "float64":
            f.defval = float(d) if d is not None else 0.0
        elif f.base == "string":
            f.defval = None if d == "null" else ("" if d is None else str(d))
        elif f.base in ("bytes", "records"):
            if d not in (None, "null"):
                raise GenError(f"{what}: bytes default must be null")
            # Kafka: records default to null, bytes to empty unless "null" is given.
            f.defval = None if (d == "null" or f.base == "records") else b""
        elif f.base == "uuid":
            if d is not None:
                raise GenError(f"{what}: uuid defaults are not supported")
            f.defval = None
        else:
            if d is not None:
                raise GenError(f"{what}: struct default not supported")
            f.defval = None
        if not f.array and f.base in ("string", "bytes", "records") and f.defval is None and f.present:
            if isect(f.nullable, f.present) != f.present:
                warn(f"{what}: default is null but the field is not nullable in all of "
                     f"{fmt_range(f.present)}; encoding the default there fails")

    def check_names(self):
        seen = {}
        for s in self.structs:
            if s.cname in seen:
                raise GenError(f"{self.name}: C name {s.cname} used twice")
            seen[s.cname] = s
            names = [f.cname for f in s.fields]
            if len(set(names)) != len(names):
                raise GenError(f"{self.name}.{s.jname}: duplicate field names")
            tags = [f.tag for f in s.fields if f.tag is not None]
            if len(set(tags)) != len(tags):
                raise GenError(f"{self.name}.{s.jname}: duplicate tags")


def warn(msg):
    print("gen_kmsg: warning: " + msg, file=sys.stderr)


def load(spec_dir):
    wanted = []
    for fn in sorted(os.listdir(spec_dir)):
        if not fn.endswith(".json"):
            continue
        stem = fn[:-5]
        if stem.endswith("Request") or stem.endswith("Response") or stem in (
            "RequestHeader", "ResponseHeader", "ConsumerProtocolSubscription",
            "ConsumerProtocolAssignment"):
            wanted.append(fn)
    msgs = []
    for fn in wanted:
        path = os.path.join(spec_dir, fn)
        with open(path, encoding="utf-8") as fh:
            try:
                d = json.loads(strip_comments(fh.read()))
            except json.JSONDecodeError as e:
                raise GenError(f"{fn}: {e}")
        m = Message(fn, d)
        if m.name + ".json" != fn:
            raise GenError(f"{fn}: message is named {m.name}")
        msgs.append(m)
    names = {}
    for m in msgs:
        for s in m.structs:
            if s.cname in names:
                raise GenError(f"C name {s.cname} used by {m.name} and {names[s.cname]}")
            names[s.cname] = m.name
    return msgs


# ------------------------------------------------------------------ C emission helpers


def wrap_call(indent, head, args, tail, open_="(", close=")"):
    """Formats head(args)tail at indent (in spaces), wrapping like clang-format does:
    arguments aligned after the open parenthesis, or on a continuation line."""
    one = " " * indent + head + open_ + ", ".join(args) + close + tail
    if len(one) <= WIDTH:
        return [one]
    col = indent + len(head) + 1
    lines = pack(" " * indent + head + open_, args, col, close + tail)
    if lines:
        return lines
    return pack(" " * indent + head + open_, args, indent + 4, close + tail, first_break=True)


def brace_list(indent, head, args, tail):
    """An initialiser list; one with a declaration head that does not fit on one line
    continues on the next lines, indented by 4."""
    if head:
        one = " " * indent + head + "{" + ", ".join(args) + "}" + tail
        if len(one) <= WIDTH:
            return [one]
        return pack(" " * indent + head + "{", args, indent + 4, "}" + tail, first_break=True)
    return wrap_call(indent, head, args, tail, "{", "}")


def pack(first, args, col, end, first_break=False):
    lines = []
    cur = first
    if first_break:
        lines.append(cur.rstrip())
        cur = " " * col
    fresh = True
    for i, a in enumerate(args):
        piece = a + ("," if i < len(args) - 1 else end)
        cand = cur + piece if fresh else cur + " " + piece
        if len(cand) > WIDTH and not fresh:
            lines.append(cur)
            cur = " " * col + piece
        else:
            cur = cand
        fresh = False
        if len(cur) > WIDTH and not first_break:
            return None
    lines.append(cur)
    return lines


def block(ind, head, body):
    """if/for header with body lines. A one-statement "if" that fits goes on one line
    (.clang-format: AllowShortIfStatementsOnASingleLine); braces only around several lines."""
    pad = IND * ind
    if len(body) == 1:
        one = pad + head + " " + body[0].strip()
        if head.startswith("if (") and len(one) <= WIDTH and "/*" not in body[0]:
            return [one]
        return [pad + head] + body
    return [pad + head + " {"] + body + [pad + "}"]


def c_int(base, v):
    bits = INT_BITS[base]
    if not base.startswith("u") and v == -(1 << (bits - 1)):
        return f"INT{bits}_MIN"
    if not base.startswith("u") and v == (1 << (bits - 1)) - 1 and bits >= 32:
        return f"INT{bits}_MAX"
    if base == "int64" and not -(1 << 31) <= v < (1 << 31):
        return f"INT64_C({v})"
    if base == "uint32" and v > 0x7FFFFFFF:
        return f"{v}u"
    return str(v)


# ------------------------------------------------------------------ generator


class Gen:
    def __init__(self, msgs):
        self.msgs = msgs
        # Structs whose "is default" test is needed (tagged struct fields), closed over
        # the struct fields they contain.
        self.need_isdef = set()
        self.reach = {}
        for m in msgs:
            self.compute_reach(m)
        for m in msgs:
            for s in m.structs:
                for f in s.fields:
                    if f.tag_range and f.base == "struct" and not f.array:
                        self.mark_isdef(f.struct)

    def compute_reach(self, m):
        """The versions at which each struct can be on the wire: its enclosing field's
        present range within its parent's reach (the hull, if reached several ways).
        Conditions inside a struct's functions are simplified against it."""
        self.reach[m.root.cname] = m.valid
        for s in reversed(m.structs):  # parents before the structs they contain
            rs = self.reach.get(s.cname)
            for f in s.fields:
                if f.base != "struct":
                    continue
                r = isect(f.present, rs)
                if r is None:
                    continue
                old = self.reach.get(f.struct.cname)
                self.reach[f.struct.cname] = r if old is None else (min(old[0], r[0]), max(old[1], r[1]))

    def mark_isdef(self, s):
        if s.cname in self.need_isdef:
            return
        self.need_isdef.add(s.cname)
        for f in s.fields:
            if f.base == "struct" and not f.array:
                self.mark_isdef(f.struct)

    # ---------------------------------------------------------------- header

    def header(self):
        o = []
        o.append("/*")
        o.append(" * kafka/msg/kmsg_gen.h - generated by tools/gen_kmsg.py, do not edit.")
        o.append(" *")
        o.append(" * Per-message structs and functions of the Kafka wire codec, from Apache Kafka's")
        o.append(" * JSON message definitions. Include kafka/msg/kmsg.h, which documents the contract.")
        o.append(" * Field comments give the versions a field is on the wire in, nullability, tagging")
        o.append(" * and its default (set by _init; fields absent from a decoded version keep it).")
        o.append(" */")
        o.append("#ifndef RN_KAFKA_MSG_KMSG_GEN_H")
        o.append("#define RN_KAFKA_MSG_KMSG_GEN_H")
        o.append("")
        o.append('#include "kafka/msg/kmsg.h"')
        o.append("")
        for m in self.msgs:
            o += self.h_message(m)
        apis = self.apis()
        descs = self.descs()
        o.append("/* ------------------------------------------------------------------ tables */")
        o.append("")
        o.append("/* Every API with a request definition, sorted by key. */")
        o.append(f"#define RN_KMSG_API_COUNT {len(apis)}")
        o.append("extern const rn_kmsg_api rn_kmsg_apis[RN_KMSG_API_COUNT];")
        o.append("")
        o.append("/* The API with this key, or NULL if the codec does not know it. */")
        o.append("const rn_kmsg_api *rn_kmsg_api_lookup(int16_t key);")
        o.append("")
        o.append("/* Every message: requests and responses by API key, then headers and data. */")
        o.append(f"#define RN_KMSG_DESC_COUNT {len(descs)}")
        o.append("extern const rn_kmsg_desc rn_kmsg_descs[RN_KMSG_DESC_COUNT];")
        o.append("")
        o.append("/* The request / response message of an API key, or NULL if unknown. */")
        o.append("const rn_kmsg_desc *rn_kmsg_request_desc(int16_t api_key);")
        o.append("const rn_kmsg_desc *rn_kmsg_response_desc(int16_t api_key);")
        o.append("")
        o.append("#endif")
        return "\n".join(o) + "\n"

    def field_comment(self, m, f):
        """Versions as written in the JSON (the message's validVersions clip them)."""
        if f.present is None:
            parts = [fmt_range(f.versions) + " (not in any valid version)"]
        else:
            parts = [fmt_range(f.versions)]
        if f.nullable is not None:
            parts.append("nullable" if f.nullable == f.versions else "nullable " + fmt_range(f.nullable))
        if f.tagged is not None:
            parts.append(f"tag {f.tag}" + ("" if f.tagged == f.versions else " from " + fmt_range(f.tagged)))
        if f.flex != m.flex:
            parts.append("flexible " + fmt_range(f.flex))
        if f.base == "records":
            parts.append("records")
        d = self.default_text(f)
        if d is not None:
            parts.append("default " + d)
        return ", ".join(parts)

    def default_text(self, f):
        if f.array or f.base in ("struct", "uuid"):
            return None
        if f.base in INT_BITS:
            return str(f.defval) if f.defval != 0 else None
        if f.base == "bool":
            return "true" if f.defval else None
        if f.base == "float64":
            return repr(f.defval) if f.defval != 0 else None
        if f.base == "string":
            if f.defval is None:
                return "null"
            return c_string(f.defval) if f.defval else None
        if f.base in ("bytes", "records"):
            return "null" if f.defval is None else None
        return None

    def ctype(self, f):
        return f.struct.cname if f.base == "struct" else PRIMS[f.base][0]

    def h_message(self, m):
        o = []
        head = f"{m.name}"
        if m.kind in ("request", "response"):
            head += f" (api key {m.api_key})"
        elif m.kind == "header":
            head += " (header)"
        else:
            head += " (data, no api key)"
        head += f": versions {m.valid[0]}-{m.valid[1]}"
        head += (", flexible " + fmt_range(m.flex)) if m.flex else ", never flexible"
        if m.unstable:
            head += "; the latest version is unstable"
        o.append("/* " + "-" * 66 + " " + m.name + " */")
        o.append("")
        o.append("/* " + head + " */")
        o.append("")
        for s in m.structs:
            if s is not m.root:
                o.append(f"/* {m.name} struct {s.jname} */")
            o.append(f"typedef struct {s.cname} {{")
            o += self.h_fields(m, s)
            o.append(f"}} {s.cname};")
            o.append("")
        for s in m.structs:
            arg = "msg" if s is m.root else "s"
            o += wrap_call(0, f"void {s.cname}_init", [f"{s.cname} *{arg}"], ";")
        o += wrap_call(0, f"int {m.cname}_decode",
                       ["rn_reader *r", "int16_t version", "rn_arena *a", f"{m.cname} *out",
                        "rn_err *err"], ";")
        o += wrap_call(0, f"int {m.cname}_encode",
                       ["rn_buf *b", "int16_t version", f"const {m.cname} *msg"], ";")
        o.append("")
        return o

    def h_fields(self, m, s):
        # Single-line members get their comments aligned in runs, as clang-format does.
        out = []
        run = []

        def flush():
            if not run:
                return
            w = max(len(code) for code, _ in run)
            for code, com in run:
                out.append(code.ljust(w) + " /* " + com + " */")
            run.clear()

        if not s.fields:
            out.append(IND + "char unused_; /* no fields: C forbids empty structs */")
        for f in s.fields:
            com = self.field_comment(m, f)
            if f.array:
                flush()
                out.append(IND + "struct {")
                out.append(IND * 2 + f"{self.ctype(f)} *items;")
                out.append(IND * 2 + "int32_t n;")
                out.append(IND + f"}} {f.cname}; /* {com} */")
            else:
                run.append((IND + f"{self.ctype(f)} {f.cname};", com))
        flush()
        return out

    # ---------------------------------------------------------------- init

    def init_lines(self, s, lv="s"):
        body = [IND + f"memset({lv}, 0, sizeof *{lv});"]
        for f in s.fields:
            L = f"{lv}->{f.cname}"
            if f.array:
                continue
            if f.base == "struct":
                body.append(IND + f"{f.struct.cname}_init(&{L});")
            elif f.base in INT_BITS:
                if f.defval != 0:
                    body.append(IND + f"{L} = {c_int(f.base, f.defval)};")
            elif f.base == "bool":
                if f.defval:
                    body.append(IND + f"{L} = true;")
            elif f.base == "float64":
                if f.defval != 0:
                    body.append(IND + f"{L} = {f.defval!r};")
            elif f.base == "string":
                if f.defval is None:
                    body.append(IND + f"{L} = RN_KSTR_NULL;")
                elif f.defval:
                    n = len(f.defval.encode("utf-8"))
                    body.append(IND + f"{L} = (rn_kstr){{{c_string(f.defval)}, {n}}};")
            elif f.base in ("bytes", "records"):
                if f.defval is None:
                    body.append(IND + f"{L} = RN_KBYTES_NULL;")
        return body

    # ---------------------------------------------------------------- decode

    def dec_value(self, m, f, L, known, ind, elem=False):
        """Lines decoding one value (a whole field, or one array element) into L."""
        pad = IND * ind
        flex = cond(f.flex, known)
        null = "0" if elem else cond(f.nullable, known)
        if f.base == "struct":
            return wrap_call(len(pad), f"rc = dec_{f.struct.short}", ["r", "v", "a", "&" + L], ";") + [
                pad + "if (rc != RN_OK)", pad + IND + "return rc;"]
        expr = PRIMS[f.base][2].format(F=flex, N=null)
        return [pad + f"{L} = {expr};"]

    def dec_field(self, m, f, known, ind):
        L = f"o->{f.cname}"
        if not f.array:
            return self.dec_value(m, f, L, known, ind)
        pad = IND * ind
        flex = cond(f.flex, known)
        null = cond(f.nullable, known)
        o = [pad + f"{L}.n = rn_kmsg_rd_arrlen(r, {flex}, {null});"]
        inner = []
        inner += wrap_call(len(pad) + 4, f"{L}.items = rn_kmsg_alloc_array",
                           ["a", f"{L}.n", f"sizeof *{L}.items"], ";")
        inner += [pad + IND + f"if (!{L}.items)", pad + IND * 2 + "return RN_ENOMEM;"]
        el = self.dec_value(m, f, f"{L}.items[i]", known, ind + 2, elem=True)
        if f.base == "struct":
            inner += block(ind + 1, f"for (int32_t i = 0; i < {L}.n; i++)", el)
        else:
            inner += block(ind + 1, f"for (int32_t i = 0; i < {L}.n && !r->err; i++)", el)
        o += block(ind, f"if ({L}.n > 0)", inner)
        return o

    def fields_code(self, s, known, make):
        """The positional fields of s in JSON order, each under its version condition;
        consecutive fields with the same condition share one "if"."""
        out = []
        groups = []
        for f in s.fields:
            c = cond(f.reg_range, known)
            if c == "0":
                continue
            if groups and groups[-1][0] == c:
                groups[-1][1].append(f)
            else:
                groups.append((c, [f]))
        for c, fs in groups:
            def mk(ind, fs=fs):
                lines = []
                for f in fs:
                    lines += make(f, isect(f.reg_range, known), ind)
                return lines
            out += self.guarded(c, 1, mk)
        return out

    def guarded(self, c, ind, make):
        """Lines of make(ind') wrapped in "if (c)" unless c is always true / never."""
        if c == "0":
            return []
        if c == "1":
            return make(ind)
        return block(ind, f"if ({c})", make(ind + 1))

    def dec_struct(self, m, s):
        o = []
        o += wrap_call(0, f"static int dec_{s.short}",
                       ["rn_reader *r", "int16_t v", "rn_arena *a", f"{s.cname} *o"], "")
        body = [IND + f"{s.cname}_init(o);"]
        known = self.reach[s.cname]
        body += self.fields_code(s, known, lambda f, k, ind: self.dec_field(m, f, k, ind))
        if m.flex is not None:
            tagged = s.tagged()
            fknown = isect(m.flex, known)
            fc = cond(m.flex, known)
            if not tagged:
                body += self.guarded(fc, 1, lambda ind: [IND * ind + "rn_kmsg_rd_tags_skip(r);"])
            else:
                body += self.guarded(fc, 1, lambda ind: self.dec_tags(m, s, tagged, fknown, ind))
        body.append(IND + "return r->err ? RN_EPROTO : RN_OK;")
        text = "\n".join(body)
        decl = []
        if re.search(r"\brc\b", text):
            decl.append(IND + "int rc;")
            decl.append("")
        unused = []
        if not re.search(r"\bv\b", text):
            unused.append(IND + "(void)v;")
        if not re.search(r"\ba\b", text):
            unused.append(IND + "(void)a;")
        o.append("{")
        o += decl + unused + body
        o.append("}")
        return o

    def dec_tags(self, m, s, tagged, fknown, ind):
        pad = IND * ind
        o = [pad + "rn_kmsg_tags t;", pad + "uint32_t tag;", "",
             pad + "rn_kmsg_rd_tags_begin(r, &t);"]
        loop = [pad + IND + "switch (tag) {"]
        for f in tagged:
            loop.append(pad + IND + f"case {f.tag}: /* {f.name} */")
            known = isect(f.tag_range, fknown)
            c = cond(f.tag_range, fknown)
            loop += self.guarded(c, ind + 2, lambda i, f=f, known=known: self.dec_field(m, f, known, i))
            loop.append(pad + IND * 2 + "break;")
        loop.append(pad + IND + "default: /* unknown: skipped */")
        loop.append(pad + IND * 2 + "break;")
        loop.append(pad + IND + "}")
        loop.append(pad + IND + "rn_kmsg_rd_tag_end(r, &t);")
        o += block(ind, "while (rn_kmsg_rd_tag(r, &t, &tag))", loop)
        return o

    # ---------------------------------------------------------------- encode

    def enc_value(self, m, f, L, known, ind, elem=False):
        pad = IND * ind
        flex = cond(f.flex, known)
        null = "0" if elem else cond(f.nullable, known)
        if f.base == "struct":
            return wrap_call(len(pad), f"enc_{f.struct.short}", ["w", "&" + L], ";")
        return [pad + PRIMS[f.base][3].format(L=L, F=flex, N=null)]

    def enc_field(self, m, f, known, ind):
        L = f"o->{f.cname}"
        if not f.array:
            return self.enc_value(m, f, L, known, ind)
        pad = IND * ind
        flex = cond(f.flex, known)
        null = cond(f.nullable, known)
        n = "n_" + f.cname
        o = wrap_call(len(pad), f"int32_t {n} = rn_kmsg_wr_arrlen",
                      ["w", f"{L}.n", f"{L}.items", flex, null], ";")
        o += block(ind, f"for (int32_t i = 0; i < {n}; i++)",
                   self.enc_value(m, f, f"{L}.items[i]", known, ind + 1, elem=True))
        return o

    def nondefault(self, f, L):
        """C expression: L differs from the field's default (decides whether a tagged
        field is written)."""
        if f.array:
            return f"{L}.n != 0"
        if f.base == "struct":
            return f"!is_default_{f.struct.short}(&{L})"
        if f.base in INT_BITS:
            return f"{L} != {c_int(f.base, f.defval)}"
        if f.base == "bool":
            return f"!{L}" if f.defval else L
        if f.base == "float64":
            return f"{L} != {f.defval!r}"
        if f.base == "string":
            if f.defval is None:
                return f"{L}.len != -1"
            if f.defval == "":
                return f"{L}.len != 0"
            return f"!rn_kstr_eq({L}, {c_string(f.defval)})"
        if f.base in ("bytes", "records"):
            return f"{L}.len != -1" if f.defval is None else f"{L}.len != 0"
        if f.base == "uuid":
            return f"!rn_kmsg_uuid_is_zero(&{L})"
        raise GenError("unreachable")

    def isdefault(self, f, L):
        """C expression: L equals the field's default."""
        if f.array:
            return f"{L}.n == 0"
        if f.base == "struct":
            return f"is_default_{f.struct.short}(&{L})"
        if f.base in INT_BITS:
            return f"{L} == {c_int(f.base, f.defval)}"
        if f.base == "bool":
            return L if f.defval else f"!{L}"
        if f.base == "float64":
            return f"{L} == {f.defval!r}"
        if f.base == "string":
            if f.defval is None:
                return f"{L}.len == -1"
            if f.defval == "":
                return f"{L}.len == 0"
            return f"rn_kstr_eq({L}, {c_string(f.defval)})"
        if f.base in ("bytes", "records"):
            return f"{L}.len == -1" if f.defval is None else f"{L}.len == 0"
        if f.base == "uuid":
            return f"rn_kmsg_uuid_is_zero(&{L})"
        raise GenError("unreachable")

    def enc_struct(self, m, s):
        o = wrap_call(0, f"static void enc_{s.short}", ["rn_kmsg_wr *w", f"const {s.cname} *o"], "")
        body = []
        known = self.reach[s.cname]
        body += self.fields_code(s, known, lambda f, k, ind: self.enc_field(m, f, k, ind))
        if m.flex is not None:
            tagged = s.tagged()
            fknown = isect(m.flex, known)
            fc = cond(m.flex, known)
            if not tagged:
                body += self.guarded(fc, 1, lambda ind: [IND * ind + "rn_buf_put_uvarint(w->b, 0); /* no tagged fields */"])
            else:
                body += self.guarded(fc, 1, lambda ind: self.enc_tags(m, s, tagged, fknown, ind))
        text = "\n".join(body)
        pre = []
        if re.search(r"\bv\b", text):
            pre.append(IND + "const int16_t v = w->v;")
            pre.append("")
        if not re.search(r"\bo\b", text):
            pre.append(IND + "(void)o;")
        o.append("{")
        o += pre + body
        o.append("}")
        return o

    def enc_tags(self, m, s, tagged, fknown, ind):
        pad = IND * ind
        o = []
        names = []
        for f in tagged:
            nm = f"tag{f.tag}"
            names.append(nm)
            c = cond(f.tag_range, fknown)
            e = self.nondefault(f, f"o->{f.cname}")
            full = "false" if c == "0" else (e if c == "1" else f"{c} && {e}")
            o += wrap_call(len(pad), f"bool {nm} = ", [full], ";", "", "")
        o += wrap_call(len(pad), "rn_buf_put_uvarint", ["w->b", "(uint64_t)" + " + ".join(names)], ";")
        for f, nm in zip(tagged, names):
            inner = [pad + IND + f"size_t at = rn_kmsg_wr_tag_begin(w, {f.tag});"]
            known = isect(f.tag_range, fknown)
            inner += self.enc_field(m, f, known, ind + 1)
            inner.append(pad + IND + "rn_kmsg_wr_tag_end(w, at);")
            o += block(ind, f"if ({nm})", inner)
        return o

    def isdef_struct(self, m, s):
        o = wrap_call(0, f"static bool is_default_{s.short}", [f"const {s.cname} *o"], "")
        conds = [self.isdefault(f, f"o->{f.cname}") for f in s.fields]
        o.append("{")
        if not conds:
            o.append(IND + "(void)o;")
            o.append(IND + "return true;")
        else:
            lines = []
            cur = IND + "return "
            for i, c in enumerate(conds):
                piece = c + (" &&" if i < len(conds) - 1 else ";")
                if len(cur) + len(piece) + 1 > WIDTH and cur.strip() not in ("return",):
                    lines.append(cur.rstrip())
                    cur = IND * 2 + " " * 3 + piece
                else:
                    cur = cur + piece if cur.endswith("return ") else cur + " " + piece
            lines.append(cur)
            o += lines
        o.append("}")
        return o

    # ---------------------------------------------------------------- .c

    def source(self):
        o = []
        o.append("/*")
        o.append(" * kafka/msg/kmsg_gen.c - generated by tools/gen_kmsg.py, do not edit.")
        o.append(" *")
        o.append(" * One dec_/enc_ function per struct. v is the top-level message version; fields")
        o.append(" * are read in JSON order when present at v, then the TAGGED_FIELDS section in")
        o.append(" * flexible versions. Wire primitives (rn_kmsg_rd_*, rn_kmsg_wr_*) are in kmsg.c.")
        o.append(" */")
        o.append('#include "kafka/msg/kmsg.h"')
        o.append("")
        o.append("#include <stddef.h>")
        o.append("#include <string.h>")
        o.append("")
        for m in self.msgs:
            o += self.c_message(m)
        o += self.c_tables()
        return "\n".join(o) + "\n"

    def c_message(self, m):
        o = ["/* " + "-" * 66 + " " + m.name + " */", ""]
        for s in m.structs:
            arg = "msg" if s is m.root else "s"
            o += wrap_call(0, f"void {s.cname}_init", [f"{s.cname} *{arg}"], "")
            o.append("{")
            o += self.init_lines(s, arg)
            o.append("}")
            o.append("")
        # A struct never on the wire at a valid version gets no codec functions.
        live = [s for s in m.structs if s.cname in self.reach]
        for s in live:
            if s.cname in self.need_isdef:
                o += self.isdef_struct(m, s)
                o.append("")
        for s in live:
            o += self.dec_struct(m, s)
            o.append("")
        for s in live:
            o += self.enc_struct(m, s)
            o.append("")
        vc = f"version < {m.valid[0]} || version > {m.valid[1]}"
        if m.valid[0] == 0:
            vc = f"version < 0 || version > {m.valid[1]}"
        o += wrap_call(0, f"int {m.cname}_decode",
                       ["rn_reader *r", "int16_t version", "rn_arena *a", f"{m.cname} *out",
                        "rn_err *err"], "")
        o.append("{")
        o.append(IND + "const uint8_t *start = r->p, *end = r->end;")
        o.append("")
        o.append(IND + f"if ({vc}) {{")
        o.append(IND * 2 + f"{m.cname}_init(out);")
        o += wrap_call(8, "return rn_err_set",
                       ["err", "RN_EPROTO", c_string(m.name + ": unsupported version %d"), "version"], ";")
        o.append(IND + "}")
        o.append(IND + f"int rc = dec_{m.snake}(r, version, a, out);")
        o += wrap_call(4, "return rn_kmsg_dec_finish",
                       ["r", "start", "end", "rc", c_string(m.name), "version", "err"], ";")
        o.append("}")
        o.append("")
        o += wrap_call(0, f"int {m.cname}_encode",
                       ["rn_buf *b", "int16_t version", f"const {m.cname} *msg"], "")
        o.append("{")
        o.append(IND + "rn_kmsg_wr w = {b, version, 0};")
        o.append(IND + "size_t mark = b->len;")
        o.append("")
        o.append(IND + f"if ({vc})")
        o.append(IND * 2 + "return RN_EINVAL;")
        o.append(IND + f"enc_{m.snake}(&w, msg);")
        o.append(IND + "return rn_kmsg_wr_finish(&w, mark);")
        o.append("}")
        o.append("")
        return o

    def apis(self):
        reqs = sorted((m for m in self.msgs if m.kind == "request"), key=lambda m: m.api_key)
        keys = [m.api_key for m in reqs]
        if len(set(keys)) != len(keys):
            raise GenError("two requests share an api key")
        return reqs

    def descs(self):
        order = {"request": 0, "response": 1, "header": 2, "data": 3}
        big = 1 << 20
        return sorted(self.msgs, key=lambda m: (big if m.api_key < 0 else m.api_key, order[m.kind], m.name))

    def c_tables(self):
        o = ["/* " + "-" * 66 + " reflection */", ""]
        for m in self.msgs:
            for s in m.structs:
                o += wrap_call(0, f"static void any_init_{s.short}", ["void *s"], "")
                o.append("{")
                o.append(IND + f"{s.cname}_init(s);")
                o.append("}")
                o.append("")
                if s.fields:
                    o.append(f"static const rn_kmsg_field fields_{s.short}[] = {{")
                    for f in s.fields:
                        o += self.field_desc(m, s, f)
                    o.append("};")
                fl = f"fields_{s.short}" if s.fields else "NULL"
                o += brace_list(0, f"static const rn_kmsg_struct struct_{s.short} = ",
                                [c_string(s.jname), f"sizeof({s.cname})", str(len(s.fields)), fl,
                                 f"any_init_{s.short}"], ";")
                o.append("")
            o += wrap_call(0, f"static int any_decode_{m.snake}",
                           ["rn_reader *r", "int16_t version", "rn_arena *a", "void *out", "rn_err *err"], "")
            o.append("{")
            o.append(IND + f"return {m.cname}_decode(r, version, a, out, err);")
            o.append("}")
            o.append("")
            o += wrap_call(0, f"static int any_encode_{m.snake}",
                           ["rn_buf *b", "int16_t version", "const void *msg"], "")
            o.append("{")
            o.append(IND + f"return {m.cname}_encode(b, version, msg);")
            o.append("}")
            o.append("")
        o.append("/* " + "-" * 66 + " tables */")
        o.append("")
        apis = self.apis()
        o.append("const rn_kmsg_api rn_kmsg_apis[RN_KMSG_API_COUNT] = {")
        for m in apis:
            name = m.name[: -len("Request")]
            fm = m.flex[0] if m.flex else -1
            o.append(IND + f"{{{m.api_key}, {c_string(name)}, {m.valid[0]}, {m.valid[1]}, {fm}}},")
        o.append("};")
        o.append("")
        o.append("const rn_kmsg_api *rn_kmsg_api_lookup(int16_t key)")
        o.append("{")
        o.append(IND + "switch (key) {")
        for i, m in enumerate(apis):
            o.append(IND + f"case {m.api_key}:")
            o.append(IND * 2 + f"return &rn_kmsg_apis[{i}];")
        o.append(IND + "default:")
        o.append(IND * 2 + "return NULL;")
        o.append(IND + "}")
        o.append("}")
        o.append("")
        descs = self.descs()
        o.append("const rn_kmsg_desc rn_kmsg_descs[RN_KMSG_DESC_COUNT] = {")
        for m in descs:
            fm = m.flex[0] if m.flex else -1
            o += brace_list(4, "", [c_string(m.name), str(m.api_key), str(m.valid[0]), str(m.valid[1]),
                                    str(fm), f"&struct_{m.snake}", f"any_decode_{m.snake}",
                                    f"any_encode_{m.snake}"], ",")
        o.append("};")
        o.append("")
        for kind in ("request", "response"):
            o.append(f"const rn_kmsg_desc *rn_kmsg_{kind}_desc(int16_t api_key)")
            o.append("{")
            o.append(IND + "switch (api_key) {")
            for i, m in enumerate(descs):
                if m.kind == kind:
                    o.append(IND + f"case {m.api_key}:")
                    o.append(IND * 2 + f"return &rn_kmsg_descs[{i}];")
            o.append(IND + "default:")
            o.append(IND * 2 + "return NULL;")
            o.append(IND + "}")
            o.append("}")
            o.append("")
        o.pop()
        return o

    def field_desc(self, m, s, f):
        t = "STRUCT" if f.base == "struct" else PRIMS[f.base][1]
        vr = f.versions
        nr = f.nullable if f.nullable is not None else (1, 0)
        tag = f.tag if f.tag is not None else -1
        tmin = f.tagged[0] if f.tagged is not None else 0
        sub = f"&struct_{f.struct.short}" if f.base == "struct" else "NULL"

        def v(x):
            return "INT16_MAX" if x == MAXV else str(x)
        args = [c_string(f.name), f"offsetof({s.cname}, {f.cname})", f"RN_KMSG_T_{t}",
                "1" if f.array else "0", v(vr[0]), v(vr[1]), v(nr[0]), v(nr[1]), str(tag), str(tmin), sub]
        return brace_list(4, "", args, ",")


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == text:
                return False
    except FileNotFoundError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return True


def main(argv):
    if len(argv) != 3:
        print("usage: gen_kmsg.py SPEC_DIR OUT_DIR", file=sys.stderr)
        return 2
    spec_dir, out_dir = argv[1], argv[2]
    try:
        msgs = load(spec_dir)
        if not msgs:
            raise GenError(f"{spec_dir}: no message definitions found")
        g = Gen(msgs)
        h = g.header()
        c = g.source()
    except (GenError, OSError, KeyError, ValueError) as e:
        print(f"gen_kmsg: {e}", file=sys.stderr)
        return 1
    for name, text in (("kmsg_gen.h", h), ("kmsg_gen.c", c)):
        path = os.path.join(out_dir, name)
        changed = write_if_changed(path, text)
        print(f"gen_kmsg: {path}: {'written' if changed else 'unchanged'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
