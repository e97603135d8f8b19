/*
 * Parser of the policy's TOML subset. It never stops at the first error:
 * after one it drops the rest of the line (or of the array) and goes on,
 * so the administrator sees every mistake at once, each at line:column.
 * Schema knowledge (sections, keys, types, ranges) lives in schema.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/lex.h"
#include "policy/schema.h"

struct parser {
	struct lexer lx;
	struct tok cur;
	struct policy *p;
	struct policy_errors *errs;
	const struct section *sec; /* NULL: before any table */
	bool ignore;               /* keys under a header that was refused */
	void *base;                /* where sec's keys are stored */
	uint64_t seen_keys;        /* bit per key index of sec */
	struct schema_seen seen;
	struct policy_rule *rule;
	unsigned rule_col, rule_errs;
	/* env_keep/env_allow entries on the never-list, judged at the end,
	 * when env_allow_unsafe is known wherever it was written. */
	struct env_hit {
		const char *key, *entry;
		unsigned line, col;
	} env_hits[POLICY_MAX_ERRORS];
	unsigned nenv_hits;
};

#define SHOWN 40 /* longest key or word quoted in a message */

static void next(struct parser *ps)
{
	lex_next(&ps->lx, &ps->cur);
}

static int shown_len(size_t len)
{
	return len > SHOWN ? SHOWN : (int)len;
}

/* A '[' in column 1 starts a table header: error recovery stops there
 * so that one bad line cannot swallow the next table. */
static bool at_header(const struct tok *t)
{
	return (t->type == T_LBRACK || t->type == T_LBRACK2) && t->col == 1;
}

static void skip_line(struct parser *ps)
{
	if (ps->cur.type == T_NL || ps->cur.type == T_EOF || at_header(&ps->cur))
		return;
	lex_skip_line(&ps->lx);
	next(ps);
}

static void skip_newlines(struct parser *ps)
{
	while (ps->cur.type == T_NL)
		next(ps);
}

static bool expect_eol(struct parser *ps, const char *after)
{
	if (ps->cur.type == T_NL) {
		next(ps);
		return true;
	}
	if (ps->cur.type == T_EOF)
		return true;
	if (ps->cur.type != T_BAD)
		policy_error_add(ps->errs, ps->cur.line, ps->cur.col,
				 "expected the end of the line after %s",
				 after);
	return false;
}

/* ---- values ------------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at w[*i..n) into *u; false on overflow (still consumed). */
static bool read_digits(const char *w, size_t n, size_t *i, uint64_t *u)
{
	bool ok = true;

	for (*u = 0; *i < n && is_digit(w[*i]); (*i)++) {
		if (*u > (UINT64_MAX - 9) / 10)
			ok = false;
		else
			*u = *u * 10 + (uint64_t)(w[*i] - '0');
	}
	return ok;
}

/* Why a word that starts like a number is not one of ours. */
static const char *number_problem(const char *w, size_t n)
{
	if (memchr(w, ':', n) || memchr(w + 1, '-', n - 1))
		return "dates and times are not supported";
	if (memchr(w, 'e', n) || memchr(w, 'E', n))
		return "exponents are not supported";
	if (memchr(w, '_', n))
		return "underscores in numbers are not supported";
	return "invalid number";
}

/* Classify a bare word as boolean, integer or float; NULL when it is one,
 * else the reason it is not. */
static const char *classify_word(const char *w, size_t n, struct value *v)
{
	size_t i = 0, start;

	if ((n == 4 && !memcmp(w, "true", 4)) ||
	    (n == 5 && !memcmp(w, "false", 5))) {
		v->type = V_BOOL;
		v->b = n == 4;
		return NULL;
	}
	if (w[0] == '+')
		return "a leading '+' is not supported";
	v->neg = w[0] == '-';
	i = v->neg;
	if (n - i == 3 && (!memcmp(w + i, "inf", 3) || !memcmp(w + i, "nan", 3)))
		return "inf and nan are not supported";
	if (i == n || !is_digit(w[i]))
		return "invalid value (strings need double quotes)";
	if (w[i] == '0' && i + 1 < n && strchr("xob", w[i + 1]))
		return "hexadecimal, octal and binary numbers are not supported";
	start = i;
	v->overflow = !read_digits(w, n, &i, &v->u);
	if (i - start > 1 && w[start] == '0' && (i == n || w[i] == '.'))
		return "leading zeros are not allowed";
	v->type = V_INT;
	if (i < n && w[i] == '.' && i + 1 < n && is_digit(w[i + 1])) {
		uint64_t frac;

		i++;
		read_digits(w, n, &i, &frac);
		v->type = V_FLOAT;
	}
	return i == n ? NULL : number_problem(w, n);
}

static bool parse_word(struct parser *ps, struct value *v)
{
	const char *why = classify_word(ps->cur.p, ps->cur.len, v);

	if (why) {
		policy_error_add(ps->errs, ps->cur.line, ps->cur.col,
				 "%s: '%.*s'", why, shown_len(ps->cur.len),
				 ps->cur.p);
		return false;
	}
	v->text = ps->cur.p;
	v->text_len = ps->cur.len;
	next(ps);
	return true;
}

static void unterminated(struct parser *ps, unsigned line, unsigned col)
{
	policy_error_add(ps->errs, line, col, "unterminated array "
			 "(missing ']')");
}

/* After a bad element: drop the rest of the array. */
static bool recover_array(struct parser *ps)
{
	for (;;) {
		if (ps->cur.type == T_EOF || at_header(&ps->cur))
			return false;
		if (ps->cur.type == T_RBRACK || ps->cur.type == T_RBRACK2) {
			next(ps);
			return false;
		}
		next(ps);
	}
}

static void add_element(struct value *v, const struct tok *t)
{
	if (v->n < POLICY_MAX_STRS) {
		v->el[v->n].s = t->p;
		v->el[v->n].line = t->line;
		v->el[v->n].col = t->col;
		v->n++;
	} else if (!v->too_many) {
		v->too_many = true;
		v->too_line = t->line;
		v->too_col = t->col;
	}
}

/* One element: false when the rest of the array must be skipped. */
static bool array_element(struct parser *ps, struct value *v)
{
	struct value scalar;
	struct tok t = ps->cur;

	if (t.type == T_STRING) {
		add_element(v, &t);
		next(ps);
		return true;
	}
	if (t.type == T_EOF || at_header(&t)) {
		unterminated(ps, v->line, v->col);
		return false;
	}
	if (t.type == T_LBRACK || t.type == T_LBRACK2)
		policy_error_add(ps->errs, t.line, t.col,
				 "nested arrays are not supported");
	else if (t.type == T_WORD) {
		memset(&scalar, 0, sizeof(scalar));
		if (parse_word(ps, &scalar))
			policy_error_add(ps->errs, t.line, t.col,
					 "arrays may hold only strings: '%.*s'",
					 shown_len(t.len), t.p);
		else
			next(ps);
		return true;
	} else if (t.type != T_BAD)
		policy_error_add(ps->errs, t.line, t.col,
				 "expected a string or ']' in the array");
	return false;
}

static bool parse_array(struct parser *ps, struct value *v)
{
	v->type = V_ARRAY;
	next(ps);
	for (;;) {
		skip_newlines(ps);
		if (ps->cur.type == T_RBRACK)
			break;
		if (!array_element(ps, v))
			return recover_array(ps);
		skip_newlines(ps);
		if (ps->cur.type == T_COMMA) {
			next(ps);
			continue;
		}
		if (ps->cur.type == T_RBRACK)
			break;
		if (ps->cur.type == T_EOF || at_header(&ps->cur))
			unterminated(ps, v->line, v->col);
		else if (ps->cur.type != T_BAD)
			policy_error_add(ps->errs, ps->cur.line, ps->cur.col,
					 "expected ',' or ']' in the array");
		return recover_array(ps);
	}
	next(ps);
	/* Elements that are strings are still checked against the key. */
	return true;
}

static bool parse_value(struct parser *ps, struct value *v)
{
	memset(v, 0, sizeof(*v));
	v->line = ps->cur.line;
	v->col = ps->cur.col;
	switch (ps->cur.type) {
	case T_STRING:
		v->type = V_STR;
		v->s = ps->cur.p;
		next(ps);
		return true;
	case T_WORD:
		return parse_word(ps, v);
	case T_LBRACK:
		return parse_array(ps, v);
	case T_LBRACK2:
		policy_error_add(ps->errs, v->line, v->col,
				 "nested arrays are not supported");
		return false;
	case T_BAD:
		return false;
	default:
		policy_error_add(ps->errs, v->line, v->col,
				 "expected a value after '='");
		return false;
	}
}

/* ---- keys and tables ---------------------------------------------------- */

static const char *section_label(const struct section *sec, char *buf,
				 size_t cap)
{
	snprintf(buf, cap, sec->is_array ? "[[%s]]" : "[%s]", sec->name);
	return buf;
}

static bool bare_key_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || is_digit(s[i]) ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* Reports a key or table name outside the subset; true if it is fine. */
static bool check_name(struct parser *ps, const struct tok *t,
		       const char *what)
{
	if (t->type == T_STRING)
		policy_error_add(ps->errs, t->line, t->col,
				 "quoted %ss are not supported", what);
	else if (memchr(t->p, '.', t->len))
		policy_error_add(ps->errs, t->line, t->col,
				 "dotted %ss are not supported: '%.*s'", what,
				 shown_len(t->len), t->p);
	else if (!bare_key_chars(t->p, t->len))
		policy_error_add(ps->errs, t->line, t->col,
				 "invalid %s '%.*s'", what, shown_len(t->len),
				 t->p);
	else
		return true;
	return false;
}

/* A key of a plain table and its alias in another (the seeds' form) set
 * one field: both written is a duplicate. Reports it; true if not. */
static bool set_once(struct parser *ps, const struct key_def *k,
		     const struct tok *t)
{
	const struct schema_set *first;
	char a[48], b[48];

	if (ps->sec->is_array)
		return true;
	first = schema_set_once(&ps->seen, ps->sec, k, t->line);
	if (!first)
		return true;
	policy_error_add(ps->errs, t->line, t->col,
			 "'%s' in %s sets what '%s' in %s set at line %u: "
			 "keep one", k->name, section_label(ps->sec, a, sizeof(a)),
			 first->k->name,
			 section_label(first->sec, b, sizeof(b)), first->line);
	return false;
}

/* The key's definition, or NULL (reported unless the table was). */
static const struct key_def *resolve_key(struct parser *ps,
					 const struct tok *t, bool *reported)
{
	const struct key_def *k;
	unsigned idx;
	char label[48];

	*reported = true;
	if (!check_name(ps, t, "key"))
		return NULL;
	*reported = false;
	if (ps->ignore)
		return NULL;
	*reported = true;
	if (!ps->sec) {
		policy_error_add(ps->errs, t->line, t->col,
				 "key '%.*s' is outside any table",
				 shown_len(t->len), t->p);
		return NULL;
	}
	k = schema_key(ps->sec, t->p, t->len, &idx);
	if (!k)
		policy_error_add(ps->errs, t->line, t->col,
				 "unknown key '%.*s' in %s", shown_len(t->len),
				 t->p,
				 section_label(ps->sec, label, sizeof(label)));
	else if (ps->seen_keys & (1ull << idx))
		policy_error_add(ps->errs, t->line, t->col,
				 "duplicate key '%.*s' in %s",
				 shown_len(t->len), t->p,
				 section_label(ps->sec, label, sizeof(label)));
	else if (!set_once(ps, k, t))
		return NULL;
	else {
		ps->seen_keys |= 1ull << idx;
		*reported = false;
		return k;
	}
	return NULL;
}

static void note_env_hits(struct parser *ps, const struct key_def *k,
			  const struct value *v)
{
	for (unsigned i = 0; i < v->n; i++) {
		struct env_hit *h;

		if (!schema_env_never(v->el[i].s))
			continue;
		/* Past the list's room the errors are not shown anyway. */
		if (ps->nenv_hits == POLICY_MAX_ERRORS) {
			policy_error_add(ps->errs, v->el[i].line, v->el[i].col,
					 "%s: too many unsafe names", k->name);
			return;
		}
		h = &ps->env_hits[ps->nenv_hits++];
		h->key = k->name;
		h->entry = v->el[i].s;
		h->line = v->el[i].line;
		h->col = v->el[i].col;
	}
}

static void judge_env_hits(struct parser *ps)
{
	for (unsigned i = 0; i < ps->nenv_hits; i++) {
		const struct env_hit *h = &ps->env_hits[i];

		schema_check_env(ps->p, h->key, h->entry, h->line, h->col,
				 ps->errs);
	}
}

static bool parse_keyval(struct parser *ps)
{
	struct tok key = ps->cur;
	const struct key_def *k;
	struct value v;
	bool reported;

	next(ps);
	/* A key cut short by a bad byte ("enabl\xe9") is not worth naming. */
	if (ps->cur.type == T_BAD)
		return false;
	k = resolve_key(ps, &key, &reported);
	if (ps->cur.type != T_EQ) {
		if (!reported)
			policy_error_add(ps->errs, ps->cur.line, ps->cur.col,
					 "expected '=' after the key");
		return false;
	}
	next(ps);
	if (!parse_value(ps, &v))
		return false;
	if (k)
		schema_apply(ps->base, k, &v, ps->errs);
	if (k && v.type == V_ARRAY && schema_env_checked(k))
		note_env_hits(ps, k, &v);
	return expect_eol(ps, "the value");
}

static void end_section(struct parser *ps)
{
	/* A rule whose own keys were wrong would only add an echo. */
	if (ps->rule && ps->errs->count == ps->rule_errs)
		schema_check_rule(ps->rule, ps->rule_col, ps->errs);
	ps->rule = NULL;
	ps->sec = NULL;
	ps->ignore = true;
	ps->seen_keys = 0;
}

/* For a table known by two names: either may be the duplicate. */
static const char *alias_note(const struct section *sec)
{
	static char note[96];

	snprintf(note, sizeof(note), "; [%s] is another name for it",
		 sec->alias);
	return note;
}

static bool section_refused(struct parser *ps, const struct section *sec,
			    const struct tok *name, bool doubled, bool alias)
{
	struct policy_errors *e = ps->errs;
	unsigned l = name->line, c = name->col;
	int n = shown_len(name->len);

	if (!sec)
		policy_error_add(e, l, c, doubled ? "unknown table [[%.*s]]"
						  : "unknown table [%.*s]",
				 n, name->p);
	else if (sec->is_array && !doubled)
		policy_error_add(e, l, c, "%s is an array of tables: write "
				 "[[%s]]", sec->name, sec->name);
	else if (!sec->is_array && doubled)
		policy_error_add(e, l, c, "only [[rule]] may be an array of "
				 "tables: write [%s]", sec->name);
	else if (sec->is_array && ps->p->nrules == POLICY_MAX_RULES)
		policy_error_add(e, l, c, "too many rules (at most %d)",
				 POLICY_MAX_RULES);
	else if (!sec->is_array && ps->seen.line[sec->id])
		policy_error_add(e, l, c, "duplicate table [%s] (first at "
				 "line %u%s)", sec->name, ps->seen.line[sec->id],
				 alias || ps->seen.native_alias ? alias_note(sec)
								 : "");
	else
		return false;
	return true;
}

static void open_section(struct parser *ps, const struct section *sec,
			 const struct tok *open)
{
	ps->sec = sec;
	ps->ignore = false;
	if (!ps->seen.line[sec->id])
		ps->seen.line[sec->id] = open->line;
	if (!sec->is_array) {
		ps->base = ps->p;
		return;
	}
	ps->rule = &ps->p->rules[ps->p->nrules++];
	memset(ps->rule, 0, sizeof(*ps->rule));
	ps->rule->line = open->line;
	ps->rule_col = open->col;
	ps->rule_errs = ps->errs->count;
	ps->base = ps->rule;
}

static bool parse_header(struct parser *ps)
{
	struct tok open = ps->cur, name;
	bool doubled = open.type == T_LBRACK2, alias = false;
	const struct section *sec;

	end_section(ps);
	next(ps);
	name = ps->cur;
	if (name.type != T_WORD && name.type != T_STRING) {
		if (name.type != T_BAD)
			policy_error_add(ps->errs, name.line, name.col,
					 "expected a table name");
		return false;
	}
	/* A seeds' dotted name is known; any other is refused. */
	sec = name.type == T_WORD
		      ? schema_section(name.p, name.len, &alias) : NULL;
	if (!sec && !check_name(ps, &name, "table name"))
		return false;
	next(ps);
	if (ps->cur.type != (doubled ? T_RBRACK2 : T_RBRACK)) {
		if (ps->cur.type != T_BAD)
			policy_error_add(ps->errs, ps->cur.line, ps->cur.col,
					 doubled ? "expected ']]'"
						 : "expected ']'");
		return false;
	}
	next(ps);
	if (section_refused(ps, sec, &name, doubled, alias) || !sec)
		return false;
	ps->seen.native_alias |= alias;
	open_section(ps, sec, &open);
	return expect_eol(ps, "the table header");
}

static void parse_all(struct parser *ps)
{
	bool ok;

	next(ps);
	while (ps->cur.type != T_EOF) {
		switch (ps->cur.type) {
		case T_NL:
			next(ps);
			continue;
		case T_LBRACK:
		case T_LBRACK2:
			ok = parse_header(ps);
			break;
		case T_WORD:
		case T_STRING:
			ok = parse_keyval(ps);
			break;
		case T_BAD:
			ok = false;
			break;
		default:
			policy_error_add(ps->errs, ps->cur.line, ps->cur.col,
					 "expected a key or a [table]");
			ok = false;
			break;
		}
		if (!ok)
			skip_line(ps);
	}
	end_section(ps);
}

int policy_parse(const char *text, size_t len, struct policy *p,
		 struct policy_errors *errs)
{
	struct parser ps;

	errs->count = 0;
	if (len > (size_t)POLICY_MAX_BYTES) {
		policy_clear(p);
		policy_error_add(errs, 0, 0, "the policy is larger than %d "
				 "bytes", POLICY_MAX_BYTES);
		return -1;
	}
	if (schema_defaults(p, len) < 0) {
		policy_error_add(errs, 0, 0, "out of memory");
		return -1;
	}
	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.errs = errs;
	ps.ignore = false;
	lex_init(&ps.lx, text ? text : "", text ? len : 0, p->strings,
		 p->strings_len, p->strings_cap, errs);
	parse_all(&ps);
	p->strings_len = ps.lx.out_len;
	judge_env_hits(&ps);
	schema_check_accounts(p, errs);
	schema_finish(p, &ps.seen, errs);
	if (errs->count) {
		policy_free(p);
		return -1;
	}
	return 0;
}

void policy_free(struct policy *p)
{
	free(p->strings);
	policy_clear(p);
}
