package track

import (
	"encoding/base64"
	"maps"
	"mime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// UploadRequest is what an uploader asks for. Downloadable and Public are pointers so that an
// absent field takes its default (true and false).
type UploadRequest struct {
	Filename     string `json:"filename"`
	Type         string `json:"type"`
	Size         int64  `json:"size"`
	MD5          string `json:"md5"`
	Downloadable *bool  `json:"downloadable"`
	Public       *bool  `json:"public"`
}

// MaxFilenameBytes bounds a file name (the longest name most file systems accept).
const MaxFilenameBytes = 255

// allowedTypes is the MIME allow-list of docs/api.md; everything else is refused before any byte is
// uploaded.
var allowedTypes = map[string]bool{
	"audio/mpeg": true, "audio/mp3": true, "audio/ogg": true, "audio/opus": true,
	"audio/flac": true, "audio/x-flac": true, "audio/wav": true, "audio/x-wav": true,
	"audio/wave": true, "audio/vnd.wave": true, "audio/mp4": true, "audio/x-m4a": true,
	"audio/m4a": true, "audio/aac": true, "audio/webm": true, "audio/aiff": true, "audio/x-aiff": true,
}

// AllowedTypes returns the MIME allow-list, sorted: the upload page refuses other files before
// uploading them.
func AllowedTypes() []string {
	return slices.Sorted(maps.Keys(allowedTypes))
}

// Upload is a validated UploadRequest.
type Upload struct {
	Filename     string
	Type         string // lower case, parameters dropped
	Size         int64
	MD5          string // canonical base64 of 16 bytes; empty for a multipart upload whose MD5 comes later
	Downloadable bool
	Public       bool
}

// Validate checks r against the contract and returns the normalised upload, or an *Error whose
// code names the first bad field. maxBytes is MAX_UPLOAD_BYTES.
func Validate(r UploadRequest, maxBytes int64) (Upload, error) {
	return validate(r, maxBytes, false)
}

// validate is Validate; with md5Optional (a multipart upload) an absent MD5 is no error.
func validate(r UploadRequest, maxBytes int64, md5Optional bool) (Upload, error) {
	if err := ValidateFilename(r.Filename); err != nil {
		return Upload{}, err
	}
	typ, err := NormalizeType(r.Type)
	if err != nil {
		return Upload{}, err
	}
	if r.Size <= 0 {
		return Upload{}, Errorf(EInvalidSize, "size must be a positive number of bytes")
	}
	if r.Size > maxBytes {
		return Upload{}, Errorf(ETooLarge, "the file is larger than the %s limit", FormatBytes(maxBytes))
	}
	var sum string
	if !md5Optional || strings.TrimSpace(r.MD5) != "" {
		if sum, err = NormalizeMD5(r.MD5); err != nil {
			return Upload{}, err
		}
	}
	u := Upload{Filename: r.Filename, Type: typ, Size: r.Size, MD5: sum, Downloadable: true}
	if r.Downloadable != nil {
		u.Downloadable = *r.Downloadable
	}
	if r.Public != nil {
		u.Public = *r.Public
	}
	return u, nil
}

// IsInvisible reports whether r is one of the invisible characters that make text display as
// something it is not: the bidirectional marks, embeddings, overrides and isolates (U+200E,
// U+200F, U+202A–U+202E, U+2066–U+2069), the zero-width space U+200B and U+FEFF. With them
// "song\u202e3pm.exe" shows as "songexe.mp3". Joiners (U+200C, U+200D) are not among them:
// emoji and several scripts need them.
func IsInvisible(r rune) bool {
	switch {
	case r == '\u200b', r == '\u200e', r == '\u200f', r == '\ufeff':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// ValidateFilename accepts 1 to 255 bytes of valid UTF-8 without control characters and without
// the invisible characters of IsInvisible.
func ValidateFilename(name string) error {
	return validateText(EInvalidFilename, "filename", name, MaxFilenameBytes)
}

// validateText accepts 1 to maxBytes bytes of valid UTF-8 without control characters and without
// the invisible characters of IsInvisible; otherwise it returns an *Error with code naming field.
func validateText(code, field, s string, maxBytes int) error {
	switch {
	case s == "":
		return Errorf(code, "%s is required", field)
	case len(s) > maxBytes:
		return Errorf(code, "%s is longer than %d bytes", field, maxBytes)
	case !utf8.ValidString(s):
		return Errorf(code, "%s is not valid UTF-8", field)
	}
	for _, r := range s {
		// C0 and C1 controls and DEL: they break headers, logs and terminals.
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return Errorf(code, "%s contains control characters", field)
		}
		if IsInvisible(r) {
			return Errorf(code, "%s contains invisible or text-direction characters (U+%04X)", field, r)
		}
	}
	return nil
}

// NormalizeType returns the lower-case media type of an allowed audio MIME type, dropping any
// parameters ("audio/ogg; codecs=opus" is "audio/ogg").
func NormalizeType(typ string) (string, error) {
	if strings.TrimSpace(typ) == "" {
		return "", Errorf(EUnsupportedType, "type is required")
	}
	mt, _, err := mime.ParseMediaType(typ)
	if err != nil {
		// A parameter we ignore anyway may be malformed; the media type before it still counts.
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(typ, ";", 2)[0]))
	}
	if !allowedTypes[mt] {
		return "", Errorf(EUnsupportedType, "%q is not a supported audio type", truncate(typ, 64))
	}
	return mt, nil
}

// NormalizeMD5 accepts the base64 (standard or URL alphabet, padded or not) of a 16-byte digest
// and returns its canonical padded standard base64, the form Content-MD5 takes.
func NormalizeMD5(s string) (string, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if s == "" {
		return "", Errorf(EInvalidMD5, "md5 is required: the base64 of the file's 16-byte MD5 digest")
	}
	raw, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		raw, err = base64.RawURLEncoding.DecodeString(s)
	}
	if err != nil || len(raw) != 16 {
		return "", Errorf(EInvalidMD5, "md5 must be the base64 of the file's 16-byte MD5 digest")
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// FormatBytes renders n in binary units for messages ("2 GiB").
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n)/unit, 0
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10) + " " + units[i]
	}
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', 1, 64), "0"), ".") + " " + units[i]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
