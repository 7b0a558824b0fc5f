// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading and writing domain XML. libxml2 parses with blank text kept, so
 * indentation and line breaks are nodes of the tree; the writer here gives
 * the tree back as it came: what lies around the root element verbatim,
 * each element's attributes in the quotes its start tag used (libvirt:
 * single, but double in <metadata>, which it writes with libxml2), then its
 * namespace declarations, and the escapes of that style. A document
 * libvirt wrote comes back byte for byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>

#include "virt.h"

#define VX_MAX_INPUT (64u << 20)

char *vx_read_file(const char *path, size_t *len)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "re");
	size_t cap = 65536, n = 0, got;
	char *buf = NULL, *nb;

	if (!f) {
		vx_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		nb = realloc(buf, cap + 1);
		if (!nb) {
			vx_err("%s: out of memory", path);
			goto fail;
		}
		buf = nb;
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		if (cap >= VX_MAX_INPUT) {
			vx_err("%s: larger than %u MiB: not a domain XML",
			       path, VX_MAX_INPUT >> 20);
			goto fail;
		}
		cap *= 2;
	}
	if (ferror(f)) {
		vx_err("%s: read error: %s", is_stdin ? "standard input" : path,
		       strerror(errno));
		goto fail;
	}
	if (!is_stdin)
		fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	if (!is_stdin)
		fclose(f);
	free(buf);
	return NULL;
}

/* ---- parsing ---------------------------------------------------------- */

/* XML's white space (never NUL, as strchr(" \t\r\n", c) would be). */
static bool xml_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct {
	bool set;
	int line;
	char msg[512];
} first_error;

#if LIBXML_VERSION >= 21200
static void on_xml_error(void *ctx, const xmlError *e)
#else
static void on_xml_error(void *ctx, xmlErrorPtr e)
#endif
{
	size_t n;

	if (e->level < XML_ERR_ERROR || first_error.set)
		return;
	first_error.set = true;
	first_error.line = e->line;
	snprintf(first_error.msg, sizeof(first_error.msg), "%s",
		 e->message ? e->message : "parse error");
	n = strlen(first_error.msg);
	while (n && (first_error.msg[n - 1] == '\n' ||
		     first_error.msg[n - 1] == ' '))
		first_error.msg[--n] = '\0';
}

/* The quote most attributes of the input use; libvirt's if none. */
static char count_quotes(const char *buf, size_t len)
{
	size_t i, j, single = 0, dbl = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] != '=')
			continue;
		for (j = i + 1; j < len && xml_space(buf[j]); j++)
			;
		if (j < len && buf[j] == '\'')
			single++;
		else if (j < len && buf[j] == '"')
			dbl++;
	}
	return dbl > single ? '"' : '\'';
}

/*
 * What lies before the root element (byte order mark, XML declaration,
 * comments, processing instructions, blank lines) and after it, verbatim:
 * nothing there is ever changed, and the tree keeps none of the spacing.
 * The document parsed, so these parts are well-formed.
 */
static size_t prolog_len(const char *buf, size_t len)
{
	size_t p = 0;
	const char *e;

	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		p = 3;
	while (p < len) {
		if (xml_space(buf[p])) {
			p++;
		} else if (!strncmp(buf + p, "<!--", 4) &&
			   (e = strstr(buf + p + 4, "-->"))) {
			p = (size_t)(e + 3 - buf);
		} else if (!strncmp(buf + p, "<?", 2) &&
			   (e = strstr(buf + p + 2, "?>"))) {
			p = (size_t)(e + 2 - buf);
		} else {
			break;
		}
	}
	return p;
}

/* The last @pat starting at or after @min and ending by @end, or NULL. */
static const char *rfind(const char *buf, size_t min, size_t end,
			 const char *pat)
{
	size_t n = strlen(pat), i;

	if (end < min + n)
		return NULL;
	for (i = end - n + 1; i-- > min;)
		if (!memcmp(buf + i, pat, n))
			return buf + i;
	return NULL;
}

static size_t epilog_start(const char *buf, size_t len, size_t min)
{
	size_t q = len;
	const char *s;

	while (q > min) {
		if (xml_space(buf[q - 1])) {
			q--;
		} else if (q - min >= 7 && !memcmp(buf + q - 3, "-->", 3) &&
			   (s = rfind(buf, min, q - 3, "<!--"))) {
			q = (size_t)(s - buf);
		} else if (q - min >= 4 && !memcmp(buf + q - 2, "?>", 2) &&
			   (s = rfind(buf, min, q - 2, "<?"))) {
			q = (size_t)(s - buf);
		} else {
			break;
		}
	}
	return q;
}

/*
 * libvirt writes its own elements with single quotes but <metadata>'s
 * children with libxml2 (double quotes): each element keeps its own quote,
 * in _private (new ones take their parent's). libxml2 creates an element
 * with its start tag just read, the input at its '>' or "/>": the last
 * non-blank byte before is the quote that closed its last attribute, or
 * a name character when it has none.
 */
static void start_element(void *ctx, const xmlChar *localname,
			  const xmlChar *prefix, const xmlChar *uri,
			  int nb_namespaces, const xmlChar **namespaces,
			  int nb_attributes, int nb_defaulted,
			  const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	const xmlChar *p, *base;
	char q = 0;

	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces,
			      namespaces, nb_attributes, nb_defaulted,
			      attributes);
	if (!ctxt->node || !ctxt->input || !ctxt->input->cur ||
	    (!nb_attributes && !nb_namespaces))
		return;
	base = ctxt->input->base;
	for (p = ctxt->input->cur; p > base && xml_space(p[-1]);
	     p--)
		;
	if (p > base && (p[-1] == '\'' || p[-1] == '"'))
		q = (char)p[-1];
	ctxt->node->_private = (void *)(intptr_t)q;
}

int vx_doc_parse(struct vx_doc *d, const char *name, const char *buf,
		 size_t len)
{
	xmlParserCtxtPtr ctxt;
	size_t pro, epi;
	bool ok;

	memset(d, 0, sizeof(*d));
	d->name = name;
	if (len > INT_MAX || memchr(buf, '\0', len)) {
		vx_err("%s: not a text file (NUL byte)", name);
		return -1;
	}
	memset(&first_error, 0, sizeof(first_error));
	xmlSetStructuredErrorFunc(NULL, on_xml_error);
	ctxt = xmlCreateMemoryParserCtxt(buf, (int)len);
	if (!ctxt) {
		xmlSetStructuredErrorFunc(NULL, NULL);
		vx_err("%s: %s", name, len ? "out of memory" :
		       "empty: not a domain XML");
		return -1;
	}
	/* No XML_PARSE_NOBLANKS: the layout stays in the tree. No network. */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);
	ctxt->sax->startElementNs = start_element;
	xmlParseDocument(ctxt);
	d->doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	ok = d->doc && ctxt->wellFormed && ctxt->nsWellFormed &&
	     !first_error.set && xmlDocGetRootElement(d->doc);
	xmlFreeParserCtxt(ctxt);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (!ok) {
		if (first_error.set)
			vx_err("%s:%d: not well-formed XML: %s", name,
			       first_error.line, first_error.msg);
		else
			vx_err("%s: not well-formed XML", name);
		vx_doc_free(d);
		return -1;
	}
	if (d->doc->intSubset || d->doc->extSubset) {
		vx_xerr(d, (xmlNodePtr)d->doc->intSubset,
			"a DOCTYPE has no place in a libvirt domain XML");
		vx_doc_free(d);
		return -1;
	}
	if (d->doc->encoding &&
	    xmlStrcasecmp(d->doc->encoding, BAD_CAST "UTF-8") &&
	    xmlStrcasecmp(d->doc->encoding, BAD_CAST "US-ASCII")) {
		vx_xerr(d, NULL, "encoding '%s': only UTF-8 is supported "
			"(as libvirt writes)", (const char *)d->doc->encoding);
		vx_doc_free(d);
		return -1;
	}
	pro = prolog_len(buf, len);
	epi = epilog_start(buf, len, pro);
	d->prolog = strndup(buf, pro);
	d->epilog = strndup(buf + epi, len - epi);
	if (!d->prolog || !d->epilog) {
		vx_err("%s: out of memory", name);
		vx_doc_free(d);
		return -1;
	}
	d->quote = count_quotes(buf, len);
	return 0;
}

void vx_doc_free(struct vx_doc *d)
{
	if (d->doc)
		xmlFreeDoc(d->doc);
	d->doc = NULL;
	free(d->prolog);
	free(d->epilog);
	d->prolog = d->epilog = NULL;
}

/* ---- writing ---------------------------------------------------------- */

struct writer {
	FILE *f;
	char q;			/* of the element being written */
	char dflt;		/* the document's */
};

static char quote_of(const struct writer *w, const xmlNode *n)
{
	for (; n && n->type == XML_ELEMENT_NODE; n = n->parent)
		if (n->_private)
			return (char)(intptr_t)n->_private;
	return w->dflt;
}

/*
 * libvirt escapes <, >, &, ' and " everywhere; with double quotes the
 * input was not libvirt's, so text keeps its quotes as libxml2 does.
 * Line breaks and tabs in attributes, and CRs anywhere, are character
 * references, or a reader would turn them into spaces.
 */
static void put_escaped(struct writer *w, const xmlChar *s, bool attr)
{
	bool quotes = attr || w->q == '\'';

	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", w->f);
			break;
		case '<':
			fputs("&lt;", w->f);
			break;
		case '>':
			fputs("&gt;", w->f);
			break;
		case '\'':
			fputs(quotes && w->q == '\'' ? "&apos;" : "'", w->f);
			break;
		case '"':
			fputs(quotes ? "&quot;" : "\"", w->f);
			break;
		case '\r':
			fputs("&#13;", w->f);
			break;
		case '\n':
			fputs(attr ? "&#10;" : "\n", w->f);
			break;
		case '\t':
			fputs(attr ? "&#9;" : "\t", w->f);
			break;
		default:
			fputc(*s, w->f);
		}
	}
}

static void put_qname(struct writer *w, const xmlNs *ns, const xmlChar *name)
{
	if (ns && ns->prefix)
		fprintf(w->f, "%s:", (const char *)ns->prefix);
	fputs((const char *)name, w->f);
}

static void write_node(struct writer *w, xmlNodePtr n);

static void write_element(struct writer *w, xmlNodePtr n)
{
	xmlAttrPtr a;
	xmlNsPtr ns;
	xmlChar *v;
	xmlNodePtr c;
	char outer = w->q;

	w->q = quote_of(w, n);
	fputc('<', w->f);
	put_qname(w, n->ns, n->name);
	for (a = n->properties; a; a = a->next) {
		fputc(' ', w->f);
		put_qname(w, a->ns, a->name);
		fprintf(w->f, "=%c", w->q);
		v = xmlNodeGetContent((xmlNodePtr)a);
		put_escaped(w, v, true);
		xmlFree(v);
		fputc(w->q, w->f);
	}
	for (ns = n->nsDef; ns; ns = ns->next) {
		fputs(" xmlns", w->f);
		if (ns->prefix)
			fprintf(w->f, ":%s", (const char *)ns->prefix);
		fprintf(w->f, "=%c", w->q);
		put_escaped(w, ns->href, true);
		fputc(w->q, w->f);
	}
	if (!n->children) {
		fputs("/>", w->f);
		w->q = outer;
		return;
	}
	fputc('>', w->f);
	for (c = n->children; c; c = c->next)
		write_node(w, c);
	fputs("</", w->f);
	put_qname(w, n->ns, n->name);
	fputc('>', w->f);
	w->q = outer;
}

static void write_node(struct writer *w, xmlNodePtr n)
{
	switch (n->type) {
	case XML_ELEMENT_NODE:
		write_element(w, n);
		break;
	case XML_TEXT_NODE:
		put_escaped(w, n->content, false);
		break;
	case XML_CDATA_SECTION_NODE:
		fprintf(w->f, "<![CDATA[%s]]>", (const char *)n->content);
		break;
	case XML_COMMENT_NODE:
		fprintf(w->f, "<!--%s-->", (const char *)n->content);
		break;
	case XML_PI_NODE:
		fprintf(w->f, "<?%s%s%s?>", (const char *)n->name,
			n->content && *n->content ? " " : "",
			n->content ? (const char *)n->content : "");
		break;
	case XML_ENTITY_REF_NODE:
		fprintf(w->f, "&%s;", (const char *)n->name);
		break;
	default:
		break;
	}
}

int vx_doc_write(const struct vx_doc *d, FILE *out)
{
	struct writer w = { .f = out, .dflt = d->quote ? d->quote : '\'' };

	w.q = w.dflt;
	fputs(d->prolog ? d->prolog : "", out);
	write_node(&w, xmlDocGetRootElement(d->doc));
	fputs(d->epilog ? d->epilog : "\n", out);
	if (fflush(out) || ferror(out))
		return -1;
	return 0;
}

int vx_doc_save(const struct vx_doc *d, const char *path, bool in_place)
{
	char real[PATH_MAX], *tmp = NULL;
	struct stat st;
	FILE *f = NULL;
	mode_t mask;
	int fd = -1;

	/* In place through a symbolic link: edit its target. */
	if (in_place && !realpath(path, real)) {
		vx_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!in_place)
		snprintf(real, sizeof(real), "%s", path);
	if (stat(real, &st) < 0) {
		if (in_place || errno != ENOENT) {
			vx_err("%s: %s", path, strerror(errno));
			return -1;
		}
		mask = umask(0);
		umask(mask);
		st.st_mode = 0666 & ~mask;
		st.st_uid = (uid_t)-1;
	}
	if (asprintf(&tmp, "%s.vnplug-virt.XXXXXX", real) < 0) {
		vx_err("%s: out of memory", path);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		vx_err("%s: creating a temporary file next to it: %s", path,
		       strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, st.st_mode & 07777) < 0 ||
	    (in_place && geteuid() == 0 &&
	     fchown(fd, st.st_uid, st.st_gid) < 0))
		goto fail;
	f = fdopen(fd, "w");
	if (!f)
		goto fail;
	fd = -1;
	if (vx_doc_write(d, f) < 0 || fsync(fileno(f)) < 0)
		goto fail;
	if (fclose(f)) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	if (rename(tmp, real) < 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	vx_err("%s: writing %s: %s", path, tmp, strerror(errno));
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}
