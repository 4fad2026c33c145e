package httpsig

import (
	"errors"
	"strings"
)

// parseParams splits a Signature header value into its parameters:
//
//	params = param *( OWS "," OWS param )
//	param  = token "=" ( token / quoted-string )
//
// quoted-string as in RFC 9110 (a backslash escapes the next character). Names are kept as sent,
// since the draft's parameter names are case-sensitive ("keyId"). It refuses, rather than
// guesses at, anything else: a repeated parameter, an empty name, an unterminated quote, a
// control character, text after a value, more than maxParams parameters. The input is already
// capped at maxHeaderLen by the caller, so the work is linear in a small bound.
func parseParams(s string) (map[string]string, error) {
	params := make(map[string]string, 6)
	i := 0
	for {
		i = skipOWS(s, i)
		if i == len(s) {
			if len(params) == 0 {
				return nil, errors.New("empty header")
			}
			return params, nil
		}
		start := i
		for i < len(s) && isTokenChar(s[i]) {
			i++
		}
		name := s[start:i]
		if name == "" {
			return nil, errors.New("parameter without a name")
		}
		i = skipOWS(s, i)
		if i == len(s) || s[i] != '=' {
			return nil, errors.New("parameter " + quote(name) + " without a value")
		}
		i = skipOWS(s, i+1)
		var value string
		if i < len(s) && s[i] == '"' {
			v, next, err := quotedString(s, i)
			if err != nil {
				return nil, err
			}
			value, i = v, next
		} else {
			start := i
			for i < len(s) && isTokenChar(s[i]) {
				i++
			}
			value = s[start:i]
		}
		if _, dup := params[name]; dup {
			return nil, errors.New("parameter " + quote(name) + " repeated")
		}
		if len(params) == maxParams {
			return nil, errors.New("too many parameters")
		}
		params[name] = value
		i = skipOWS(s, i)
		if i == len(s) {
			return params, nil
		}
		if s[i] != ',' {
			return nil, errors.New("unexpected character after parameter " + quote(name))
		}
		i++
	}
}

// quotedString reads the quoted-string that starts at s[i] == '"' and returns its unescaped
// value and the index just past the closing quote.
func quotedString(s string, i int) (string, int, error) {
	i++ // the opening quote
	var b strings.Builder
	plain := i // start of the run copied without escapes
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			if b.Len() == 0 {
				return s[plain:i], i + 1, nil
			}
			b.WriteString(s[plain:i])
			return b.String(), i + 1, nil
		case c == '\\':
			if i+1 == len(s) {
				return "", 0, errors.New("unterminated quoted string")
			}
			b.WriteString(s[plain:i])
			if isCtl(s[i+1]) {
				return "", 0, errors.New("control character in quoted string")
			}
			b.WriteByte(s[i+1])
			i += 2
			plain = i
		case isCtl(c):
			return "", 0, errors.New("control character in quoted string")
		default:
			i++
		}
	}
	return "", 0, errors.New("unterminated quoted string")
}

func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// isCtl reports the characters no header value may carry raw (HTAB aside).
func isCtl(c byte) bool { return (c < 0x20 && c != '\t') || c == 0x7f }

// isTokenChar: RFC 9110 tchar, which also covers the unquoted integers of created/expires.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
