package track

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Multipart uploads. A file over MultipartThreshold goes up in parts, several at once, and
// survives a lost connection or a closed tab: Create begins the upload in storage and plans its
// parts, SignParts signs the PUT of each part (bound to its MD5 and length), Parts tells a
// client that comes back what storage already holds, and Complete assembles the file, whose
// S3 event then starts processing as for a single PUT. Processing checks the whole file's MD5,
// which no single signature covered. The track's delete token authorises every call, and each
// call keeps the pending track alive for another PENDING_TTL.

const (
	// MaxParts is the most parts a plan cuts a file into. S3 allows 10,000; a thousand keeps
	// a resume's ListParts to one page and the client's bookkeeping small, and 2 GiB still
	// goes in parts of 8 MiB.
	MaxParts = 1000
	// DefaultMinPartSize is the smallest part a plan chooses. S3 needs 5 MiB for every part
	// but the last; 8 MiB halves the requests of a large file and is still only seconds of a
	// slow connection, the most a dropped part costs to send again.
	DefaultMinPartSize = 8 << 20
	// MaxPartsPerCall bounds the parts one SignParts call signs.
	MaxPartsPerCall = 100
	// MultipartLifetime is how long storage keeps an incomplete multipart upload: the media
	// bucket's lifecycle rule aborts it a day after it began (template.yaml,
	// AbortIncompleteMultipartUpload). A pending multipart track never lives longer, so that
	// its upload never vanishes under a client that was told it could still finish.
	MultipartLifetime = 24 * time.Hour

	mib = 1 << 20
)

// PartPlan returns how a file of size bytes is cut: count parts, every one but the last
// exactly partSize bytes, a whole number of MiB and at least minPart (DefaultMinPartSize when
// minPart is 0), with count at most MaxParts.
func PartPlan(size, minPart int64) (partSize int64, count int) {
	if minPart <= 0 {
		minPart = DefaultMinPartSize
	}
	partSize = roundUp(max(roundUp(size, MaxParts)/MaxParts, minPart), mib)
	if size <= 0 {
		return partSize, 0
	}
	return partSize, int(roundUp(size, partSize) / partSize)
}

// roundUp rounds n up to a multiple of m.
func roundUp(n, m int64) int64 { return (n + m - 1) / m * m }

// PartBytes returns the size of part n (1 to PartCount) of t's plan.
func (t *Track) PartBytes(n int) int64 {
	if n < t.PartCount {
		return t.PartSize
	}
	return t.Size - int64(t.PartCount-1)*t.PartSize
}

// beginMultipart begins t's multipart upload in storage and records its plan on t.
func (s *Service) beginMultipart(ctx context.Context, t *Track) error {
	t.PartSize, t.PartCount = PartPlan(t.Size, s.Config.MinPartSize)
	if limit := t.CreatedAt.Add(MultipartLifetime); t.ExpiresAt.After(limit) {
		t.ExpiresAt = limit
	}
	id, err := s.Blobs.CreateMultipart(ctx, t.OriginalKey, t.Type)
	if err != nil {
		return fmt.Errorf("track: begin multipart upload of %s: %w", t.ID, err)
	}
	t.UploadID = id
	return nil
}

// PartRequest asks for the URL of one part.
type PartRequest struct {
	Number int
	MD5    string // base64 of the part's 16-byte MD5
	Size   int64
}

// SignedPart is the URL of one part.
type SignedPart struct {
	Number int
	Presigned
}

// SignParts signs the PUT of each requested part of the pending multipart track id, whose delete
// token is token: each URL binds the part's MD5 and exact length. A bad request is refused whole
// (EInvalidRequest, EInvalidPart, EInvalidMD5) and changes nothing; ENotPending once the upload
// is completed, aborted or expired.
func (s *Service) SignParts(ctx context.Context, id, token string, parts []PartRequest) (*Track, []SignedPart, error) {
	t, err := s.pendingMultipart(ctx, id, token)
	if err != nil {
		return nil, nil, err
	}
	if len(parts) == 0 || len(parts) > MaxPartsPerCall {
		return nil, nil, Errorf(EInvalidRequest, "ask for 1 to %d parts at a time", MaxPartsPerCall)
	}
	md5s := make([]string, len(parts))
	seen := make(map[int]bool, len(parts))
	for i, p := range parts {
		if err := t.checkPart(p.Number, p.Size); err != nil {
			return nil, nil, err
		}
		if seen[p.Number] {
			return nil, nil, Errorf(EInvalidPart, "part %d is asked for twice", p.Number)
		}
		seen[p.Number] = true
		sum, err := NormalizeMD5(p.MD5)
		if err != nil {
			return nil, nil, Errorf(EInvalidMD5, "part %d: md5 must be the base64 of the part's 16-byte MD5 digest", p.Number)
		}
		md5s[i] = sum
	}
	if t, err = s.extendPending(ctx, t); err != nil {
		return nil, nil, err
	}
	signed := make([]SignedPart, len(parts))
	for i, p := range parts {
		urlTTL, _ := s.Config.UploadWindow(p.Size)
		up, err := s.Blobs.PresignPart(ctx, t.OriginalKey, t.UploadID, p.Number, p.Size, md5s[i], urlTTL)
		if err != nil {
			return nil, nil, fmt.Errorf("track: sign part %d of %s: %w", p.Number, id, err)
		}
		signed[i] = SignedPart{Number: p.Number, Presigned: up}
	}
	return t, signed, nil
}

// checkPart refuses a part number outside t's plan, or a size other than the plan's.
func (t *Track) checkPart(number int, size int64) error {
	if number < 1 || number > t.PartCount {
		return Errorf(EInvalidPart, "part %d does not exist: this upload has parts 1 to %d", number, t.PartCount)
	}
	if want := t.PartBytes(number); size != want {
		return Errorf(EInvalidPart, "part %d must be %d bytes, not %d", number, want, size)
	}
	return nil
}

// Parts returns the parts storage holds for the pending multipart track id, whose delete token
// is token: a client that lost its connection or its tab sends only the others. ENotPending
// once the upload is completed, aborted or expired.
func (s *Service) Parts(ctx context.Context, id, token string) (*Track, []Part, error) {
	t, err := s.pendingMultipart(ctx, id, token)
	if err != nil {
		return nil, nil, err
	}
	parts, err := s.Blobs.ListParts(ctx, t.OriginalKey, t.UploadID)
	switch {
	case errors.Is(err, ErrNoSuchUpload):
		return nil, nil, errNotPending
	case err != nil:
		return nil, nil, fmt.Errorf("track: list parts of %s: %w", id, err)
	}
	if t, err = s.extendPending(ctx, t); err != nil {
		return nil, nil, err
	}
	return t, parts, nil
}

// Complete assembles the multipart track id, whose delete token is token, from parts, which
// must list every part of its plan once, and records md5, the whole file's MD5 (optional when
// it came with Create, and then equal to it). Processing starts from the storage's event, as for
// a single PUT, and checks md5 against what it reads. Completing an upload that was completed
// before (a retry after a lost answer) returns the track as it is now: the retry never fails
// the upload. EInvalidParts names missing parts or a list storage refused; ENotPending: the
// upload was aborted or expired.
func (s *Service) Complete(ctx context.Context, id, token string, parts []Part, md5 string) (*Track, error) {
	t, err := s.owned(ctx, id, token)
	if err != nil {
		return nil, err
	}
	if !t.Multipart() {
		return nil, errNotMultipart
	}
	if t.Status != StatusPending {
		return t, nil
	}
	ordered, err := t.checkParts(parts)
	if err != nil {
		return nil, err
	}
	sum := ""
	if strings.TrimSpace(md5) != "" {
		if sum, err = NormalizeMD5(md5); err != nil {
			return nil, err
		}
	}
	if sum == "" && t.MD5 == "" {
		return nil, Errorf(EInvalidMD5, "md5 is required: the base64 of the whole file's 16-byte MD5 digest")
	}
	// Storage would refuse parts it does not hold; asking first refuses them before anything is
	// written, and names them.
	switch err := s.checkStored(ctx, t, ordered); {
	case errors.Is(err, ErrNoSuchUpload):
		return s.completedBefore(ctx, t)
	case err != nil:
		return nil, err
	}
	// The MD5 is recorded before storage assembles the file: the event that follows may start
	// processing at once, and processing must find it.
	for attempt := 0; ; attempt++ {
		if t, err = s.recordMD5(ctx, t, sum); !errors.Is(err, ErrConflict) || attempt == 2 {
			break
		}
		// A concurrent call or the upload's event moved the track on: look again.
		if t, err = s.owned(ctx, id, token); err != nil {
			return nil, err
		}
		if t.Status != StatusPending {
			return t, nil
		}
	}
	if err != nil {
		return nil, err
	}
	err = s.Blobs.CompleteMultipart(ctx, t.OriginalKey, t.UploadID, t.Size, ordered)
	switch {
	case errors.Is(err, ErrNoSuchUpload):
		return s.completedBefore(ctx, t)
	case errors.Is(err, ErrPartsRejected):
		return nil, Errorf(EInvalidParts, "storage does not hold these parts with these ETags: list each part's ETag as its PUT answered it (GET the parts to see what storage holds)")
	case err != nil:
		return nil, fmt.Errorf("track: complete %s: %w", id, err)
	}
	return t, nil
}

// checkParts returns parts in ascending order if they are exactly the parts of t's plan, each
// with an ETag; else an EInvalidParts error that names the missing ones.
func (t *Track) checkParts(parts []Part) ([]Part, error) {
	byNumber := make(map[int]Part, len(parts))
	for _, p := range parts {
		switch {
		case p.Number < 1 || p.Number > t.PartCount:
			return nil, Errorf(EInvalidParts, "part %d does not exist: this upload has parts 1 to %d", p.Number, t.PartCount)
		case strings.TrimSpace(p.ETag) == "":
			return nil, Errorf(EInvalidParts, "part %d has no etag", p.Number)
		}
		if _, dup := byNumber[p.Number]; dup {
			return nil, Errorf(EInvalidParts, "part %d is listed twice", p.Number)
		}
		byNumber[p.Number] = p
	}
	var missing []int
	ordered := make([]Part, 0, t.PartCount)
	for n := 1; n <= t.PartCount; n++ {
		p, ok := byNumber[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		ordered = append(ordered, Part{Number: n, ETag: p.ETag, Size: t.PartBytes(n)})
	}
	if len(missing) > 0 {
		return nil, Errorf(EInvalidParts, "missing parts: %s", listNumbers(missing, 20))
	}
	return ordered, nil
}

// listNumbers renders numbers as "1, 4, 7", at most limit of them and then "and N more".
func listNumbers(numbers []int, limit int) string {
	shown := numbers[:min(len(numbers), limit)]
	strs := make([]string, len(shown))
	for i, n := range shown {
		strs[i] = strconv.Itoa(n)
	}
	out := strings.Join(strs, ", ")
	if rest := len(numbers) - len(shown); rest > 0 {
		out += fmt.Sprintf(" and %d more", rest)
	}
	return out
}

// recordMD5 writes sum on the pending track t (when it was not there yet) and slides its
// deadline, in one conditional write. EInvalidMD5: sum differs from the one given before.
// ErrConflict: t changed since it was read.
func (s *Service) recordMD5(ctx context.Context, t *Track, sum string) (*Track, error) {
	if sum != "" && t.MD5 != "" && sum != t.MD5 {
		return nil, Errorf(EInvalidMD5, "md5 differs from the one given when the upload started: the file changed")
	}
	next := *t
	if sum != "" {
		next.MD5 = sum
	}
	if to := s.pendingDeadline(t); to.After(next.ExpiresAt) {
		next.ExpiresAt = to
	}
	if next.MD5 == t.MD5 && next.ExpiresAt.Equal(t.ExpiresAt) {
		return t, nil
	}
	if err := s.Store.Replace(ctx, t, &next); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, ErrConflict
		}
		return nil, fmt.Errorf("track: record the md5 of %s: %w", t.ID, err)
	}
	return &next, nil
}

// checkStored checks that storage holds every part of ordered with its ETag (quotes aside) and
// the plan's size, and puts storage's own ETags in ordered. EInvalidParts names the parts it
// lacks; ErrNoSuchUpload: the upload is no longer in progress.
func (s *Service) checkStored(ctx context.Context, t *Track, ordered []Part) error {
	stored, err := s.Blobs.ListParts(ctx, t.OriginalKey, t.UploadID)
	if err != nil {
		if errors.Is(err, ErrNoSuchUpload) {
			return err
		}
		return fmt.Errorf("track: list parts of %s: %w", t.ID, err)
	}
	held := make(map[int]Part, len(stored))
	for _, p := range stored {
		held[p.Number] = p
	}
	var lacking []int
	for i, p := range ordered {
		h, ok := held[p.Number]
		if !ok || unquote(h.ETag) != unquote(p.ETag) || h.Size != p.Size {
			lacking = append(lacking, p.Number)
			continue
		}
		ordered[i].ETag = h.ETag
	}
	if len(lacking) > 0 {
		return Errorf(EInvalidParts, "storage does not hold these parts with these ETags: %s (GET the parts to see what it holds)", listNumbers(lacking, 20))
	}
	return nil
}

func unquote(etag string) string { return strings.Trim(strings.TrimSpace(etag), `"`) }

// completedBefore answers a completion of an upload that is no longer in progress: completed
// before (a retry after a lost answer: the object is there) or aborted.
func (s *Service) completedBefore(ctx context.Context, t *Track) (*Track, error) {
	_, err := s.Blobs.Head(ctx, t.OriginalKey)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, errNotPending
	case err != nil:
		return nil, fmt.Errorf("track: complete %s: %w", t.ID, err)
	}
	return s.current(ctx, t)
}

// current re-reads t after a completion that happened before; if it is gone meanwhile, t as it
// was read is the best answer left.
func (s *Service) current(ctx context.Context, t *Track) (*Track, error) {
	now, err := s.Store.Get(ctx, t.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return t, nil
	case err != nil:
		return nil, fmt.Errorf("track: complete %s: %w", t.ID, err)
	}
	return now, nil
}

var (
	errNotPending   = Errorf(ENotPending, "this upload is no longer in progress: it was completed, aborted or expired")
	errNotMultipart = Errorf(EInvalidRequest, "this upload goes up in one PUT, not in parts")
)

// pendingMultipart returns the pending multipart track id, whose delete token is token.
func (s *Service) pendingMultipart(ctx context.Context, id, token string) (*Track, error) {
	t, err := s.owned(ctx, id, token)
	switch {
	case err != nil:
		return nil, err
	case !t.Multipart():
		return nil, errNotMultipart
	case t.Status != StatusPending:
		return nil, errNotPending
	}
	return t, nil
}

// pendingDeadline is the deadline a call on the pending multipart track t gives it: now +
// PENDING_TTL, never past MultipartLifetime after it began.
func (s *Service) pendingDeadline(t *Track) time.Time {
	to := s.Now().UTC().Truncate(time.Second).Add(s.Config.PendingTTL)
	if limit := t.CreatedAt.Add(MultipartLifetime); to.After(limit) {
		to = limit
	}
	return to
}

// extendPending slides the deadline of the pending track t to pendingDeadline. A deadline that
// would move by less than a tenth of PENDING_TTL is left alone, so that a client signing its
// parts one by one does not turn every call into a write. A track that moved on meanwhile
// (completed, deleted) is ENotPending.
func (s *Service) extendPending(ctx context.Context, t *Track) (*Track, error) {
	to := s.pendingDeadline(t)
	if to.Sub(t.ExpiresAt) < s.Config.PendingTTL/10 {
		return t, nil
	}
	switch err := s.Store.Extend(ctx, t.ID, to); {
	case errors.Is(err, ErrConflict):
		now, gerr := s.Store.Get(ctx, t.ID)
		if gerr != nil || now.Status != StatusPending {
			return nil, errNotPending
		}
		// A concurrent call slid it at least as far.
		return now, nil
	case err != nil:
		return nil, fmt.Errorf("track: extend %s: %w", t.ID, err)
	}
	next := *t
	next.ExpiresAt = to
	return &next, nil
}
