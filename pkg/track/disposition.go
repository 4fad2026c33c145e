package track

import (
	"strings"
	"unicode/utf8"
)

// ContentDisposition returns an RFC 6266 attachment header for name: an ASCII-only quoted
// filename="…" fallback for old clients, followed by filename*=UTF-8”… carrying the exact name
// percent-encoded (RFC 8187). Nothing in name can break out of the header: quotes, backslashes,
// semicolons, commas and controls never appear raw in the result.
func ContentDisposition(name string) string {
	var b strings.Builder
	b.WriteString(`attachment; filename="`)
	b.WriteString(asciiFallback(name))
	b.WriteString(`"; filename*=UTF-8''`)
	b.WriteString(encodeRFC8187(name))
	return b.String()
}

// asciiFallback maps name to printable ASCII without the characters that a naive parser of a
// quoted string would trip over; what cannot be shown becomes '_'.
func asciiFallback(name string) string {
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '"' || r == '\\' || r == ';' || r == ',' || r == '%':
			b.WriteByte('_')
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.TrimSpace(b.String())
	if out == "" || strings.Trim(out, "_.") == "" {
		return "download"
	}
	return out
}

// encodeRFC8187 percent-encodes everything but RFC 8187's attr-char.
func encodeRFC8187(name string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isAttrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// isAttrChar: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~".
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
