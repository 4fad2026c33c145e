package media

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/soundtime/soundtime/pkg/track"
)

// Matroska element IDs (RFC 9559), marker bits kept, as ebmlID returns them.
const (
	mkvEBML             = 0x1A45DFA3
	mkvSegment          = 0x18538067
	mkvSeekHead         = 0x114D9B74
	mkvSeek             = 0x4DBB
	mkvSeekID           = 0x53AB
	mkvSeekPosition     = 0x53AC
	mkvInfo             = 0x1549A966
	mkvTitle            = 0x7BA9
	mkvCluster          = 0x1F43B675
	mkvTags             = 0x1254C367
	mkvTag              = 0x7373
	mkvTargets          = 0x63C0
	mkvTargetTypeValue  = 0x68CA
	mkvTagTrackUID      = 0x63C5
	mkvTagEditionUID    = 0x63C9
	mkvTagChapterUID    = 0x63C4
	mkvTagAttachmentUID = 0x63C6
	mkvSimpleTag        = 0x67C8
	mkvTagName          = 0x45A3
	mkvTagString        = 0x4487
	mkvAttachments      = 0x1941A469
	mkvAttachedFile     = 0x61A7
	mkvFileName         = 0x466E
	mkvFileMimeType     = 0x4660
	mkvFileData         = 0x465C
)

// maxAttachmentsSize bounds the Attachments element read into memory for a cover: a cover of
// MaxPictureSize and room for a few small files beside it. Larger ones (fonts of a video, say)
// are skipped, and the file has no cover.
const maxAttachmentsSize = MaxPictureSize + 1<<20

// maxSeeks bounds the SeekHead entries followed to Tags, Attachments and further SeekHeads
// placed after the clusters; a muxer writes one or two of each.
const maxSeeks = 16

// readWebM reads the tags and cover of a WebM or Matroska file: the SimpleTags of every Tags
// element of its Segment, the Segment Info Title (the fallback for the title: ffmpeg writes
// `-metadata title=` there, not into Tags) and an image attachment (see mkvCover). It walks the
// Segment's top-level elements up to the first Cluster, reading only SeekHead, Info, Tags and
// Attachments into memory, then follows the SeekHeads to Tags, Attachments and further
// SeekHeads written after the clusters (mkvmerge puts Tags at the end, ffmpeg its attachments,
// and RFC 9559 §A.2 lets a first SeekHead point at a second). Every element it reads is cut at
// the end of the file, and the bytes it reads are bounded by MaxMetadataSize: a declared size
// past either costs nothing. Only the Segment and the Cluster that ends the walk may have an
// unknown size; any other element with one ends the walk, since where it ends is unknowable
// without parsing what it holds. No element is read twice and at most maxSeeks entries are
// followed, so SeekHeads that point at each other end. A file cut short gives what was read.
func readWebM(r io.ReadSeeker) (track.Tags, *Picture, error) {
	end, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return track.Tags{}, nil, err
	}
	sc := newScanner(r)
	id, size, err := ebmlHeader(sc)
	if err != nil || id != mkvEBML || size < 0 || sc.skip(size) != nil {
		return track.Tags{}, nil, nil
	}
	if id, size, err = ebmlHeader(sc); err != nil || id != mkvSegment {
		return track.Tags{}, nil, nil
	}
	segStart, segEnd := sc.off, end
	if size >= 0 {
		segEnd = min(segStart+size, end)
	}
	var mt mkvFields
	var pic *Picture
	var seeks []mkvSeekEntry
	done := map[int64]bool{} // where the elements read start
	read := func(id uint64, size int64) error {
		n := max(min(size, segEnd-sc.off), 0)
		if id == mkvAttachments && (pic != nil || n > maxAttachmentsSize) {
			return sc.skip(size)
		}
		if n > sc.left {
			return ErrMetadataTooLarge // before allocating what the file may not hold
		}
		b := make([]byte, n)
		if err := sc.read(b); err != nil {
			return err
		}
		switch id {
		case mkvSeekHead:
			seeks = append(seeks, seekHead(b)...)
		case mkvInfo:
			mt.info(b)
		case mkvTags:
			mt.tags(b)
		case mkvAttachments:
			pic = mkvCover(b)
		}
		return nil
	}
walk:
	for range maxBlocks {
		if sc.off >= segEnd {
			break
		}
		start := sc.off
		id, size, err := ebmlHeader(sc)
		if err != nil || id == mkvCluster || size < 0 {
			break
		}
		switch id {
		case mkvSeekHead, mkvInfo, mkvTags, mkvAttachments:
			done[start] = true
			if err := read(id, size); err != nil {
				if errors.Is(err, ErrMetadataTooLarge) {
					return track.Tags{}, nil, err
				}
				break walk
			}
		default:
			if err := sc.skip(size); err != nil {
				break walk
			}
		}
	}
	for i := 0; i < len(seeks) && i < maxSeeks; i++ {
		off := segStart + seeks[i].pos
		if done[off] || off >= segEnd {
			continue
		}
		done[off] = true
		if err := sc.seek(off); err != nil {
			break
		}
		id, size, err := ebmlHeader(sc)
		if err != nil || id != seeks[i].id || size < 0 {
			continue
		}
		if err := read(id, size); errors.Is(err, ErrMetadataTooLarge) {
			return track.Tags{}, nil, err
		}
	}
	return mt.result(), pic, nil
}

// ebmlHeader reads an element's ID and size; the size is -1 if unknown (all its value bits set).
func ebmlHeader(sc *scanner) (id uint64, size int64, err error) {
	var b [8]byte
	if err := sc.read(b[:1]); err != nil {
		return 0, 0, err
	}
	n := ebmlLen(b[0])
	if n == 0 || n > 4 {
		return 0, 0, errMalformed
	}
	if err := sc.read(b[1:n]); err != nil {
		return 0, 0, err
	}
	id, _ = ebmlVint(b[:n], false)
	if err := sc.read(b[:1]); err != nil {
		return 0, 0, err
	}
	n = ebmlLen(b[0])
	if n == 0 {
		return 0, 0, errMalformed
	}
	if err := sc.read(b[1:n]); err != nil {
		return 0, 0, err
	}
	v, _ := ebmlVint(b[:n], true)
	if v == 1<<(7*n)-1 {
		return id, -1, nil
	}
	return id, int64(v), nil // at most 2^56-2: no overflow
}

// ebmlLen returns the length of the variable-length integer that starts with c, or 0 if c is 0.
func ebmlLen(c byte) int {
	for n := 1; n <= 8; n++ {
		if c&(0x80>>(n-1)) != 0 {
			return n
		}
	}
	return 0
}

var errMalformed = errors.New("media: malformed element")

// ebmlChildren calls fn with the ID and data of each element in b, in order. A child whose size
// runs past b is cut at its end; one with an unknown size, or a malformed header, ends the list.
func ebmlChildren(b []byte, fn func(id uint64, data []byte)) {
	for len(b) > 0 {
		id, n := ebmlID(b)
		if n == 0 {
			return
		}
		b = b[n:]
		size, n := ebmlVint(b, true)
		if n == 0 || size == 1<<(7*n)-1 {
			return
		}
		b = b[n:]
		size = min(size, uint64(len(b)))
		fn(id, b[:size])
		b = b[size:]
	}
}

// ebmlUint decodes an unsigned integer element of at most 8 bytes; longer ones are 0.
func ebmlUint(b []byte) uint64 {
	if len(b) > 8 {
		return 0
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// mkvSeekEntry is where a SeekHead says an element is, from the start of the Segment's data.
type mkvSeekEntry struct {
	id  uint64
	pos int64
}

// seekHead returns the first maxSeeks entries of a SeekHead that point at Tags, Attachments or
// another SeekHead.
func seekHead(b []byte) []mkvSeekEntry {
	var seeks []mkvSeekEntry
	ebmlChildren(b, func(id uint64, seek []byte) {
		if id != mkvSeek || len(seeks) >= maxSeeks {
			return
		}
		var target uint64
		p := int64(-1)
		ebmlChildren(seek, func(id uint64, v []byte) {
			switch id {
			case mkvSeekID:
				target = ebmlUint(v)
			case mkvSeekPosition:
				if u := ebmlUint(v); u < 1<<62 {
					p = int64(u)
				}
			}
		})
		if (target == mkvTags || target == mkvAttachments || target == mkvSeekHead) && p >= 0 {
			seeks = append(seeks, mkvSeekEntry{target, p})
		}
	})
	return seeks
}

// mkvCover returns the cover among the files of an Attachments element: by the Matroska
// convention the first image named "cover.*" (the front cover; "small_cover.*" and the
// landscape "cover_land.*" are other sizes of it), else the first image named anything; an
// image by its MIME type, which picture then checks against the bytes themselves. A copy is
// kept, not a slice of the element, which may hold other files.
func mkvCover(b []byte) *Picture {
	var first, cover []byte
	ebmlChildren(b, func(id uint64, file []byte) {
		if id != mkvAttachedFile || cover != nil {
			return
		}
		var name, mime string
		var data []byte
		ebmlChildren(file, func(id uint64, v []byte) {
			switch id {
			case mkvFileName:
				name = strings.ToLower(text(v))
			case mkvFileMimeType:
				mime = strings.ToLower(text(v))
			case mkvFileData:
				data = v
			}
		})
		if !strings.HasPrefix(mime, "image/") || len(data) == 0 {
			return
		}
		if strings.HasPrefix(name, "cover.") {
			cover = data
		} else if first == nil {
			first = data
		}
	})
	if cover == nil {
		cover = first
	}
	if cover == nil {
		return nil
	}
	return picture(bytes.Clone(cover))
}

// mkvFields gathers Matroska tags. Tags apply to a target level: 30 is a track (a song), 50 (the
// default) an album; a TITLE at 50 is the album's title when the file also has a track-level
// one, else the title. Tags that target a track by UID come after those that target no UID at the same level
// (ffmpeg writes its per-stream ENCODER and DURATION so), and tags of a chapter, edition or
// attachment are not the song's. Within each rank, the first value of a name wins.
type mkvFields struct {
	ranks [4]map[string]string // by rank: track level, track level by UID, album, album by UID
	title string               // of the Segment Info
}

func (m *mkvFields) info(b []byte) {
	ebmlChildren(b, func(id uint64, v []byte) {
		if id == mkvTitle && m.title == "" {
			m.title = text(v)
		}
	})
}

func (m *mkvFields) tags(b []byte) {
	ebmlChildren(b, func(id uint64, tg []byte) {
		if id != mkvTag {
			return
		}
		level, byUID, other := uint64(50), false, false
		ebmlChildren(tg, func(id uint64, v []byte) {
			if id != mkvTargets {
				return
			}
			ebmlChildren(v, func(id uint64, v []byte) {
				switch id {
				case mkvTargetTypeValue:
					level = ebmlUint(v)
				case mkvTagTrackUID:
					byUID = byUID || ebmlUint(v) != 0
				case mkvTagEditionUID, mkvTagChapterUID, mkvTagAttachmentUID:
					other = other || ebmlUint(v) != 0
				}
			})
		})
		if other {
			return
		}
		rank := 0
		if level >= 50 {
			rank = 2
		}
		if byUID {
			rank++
		}
		if m.ranks[rank] == nil {
			m.ranks[rank] = map[string]string{}
		}
		kept := m.ranks[rank]
		ebmlChildren(tg, func(id uint64, st []byte) {
			if id != mkvSimpleTag || len(kept) >= 64 {
				return
			}
			var name, value string
			ebmlChildren(st, func(id uint64, v []byte) {
				switch id {
				case mkvTagName:
					name = text(v)
				case mkvTagString:
					value = text(v)
				}
			})
			if _, ok := kept[name]; !ok && name != "" && value != "" {
				kept[name] = value
			}
		})
	})
}

// get returns the first value of the names in the ranks from..to-1, rank by rank.
func (m *mkvFields) get(from, to int, names ...string) string {
	for _, kept := range m.ranks[from:to] {
		for _, name := range names {
			if v := kept[name]; v != "" {
				return v
			}
		}
	}
	return ""
}

func (m *mkvFields) result() track.Tags {
	t := track.Tags{
		Title:  m.get(0, 2, "TITLE"),
		Artist: m.get(0, 4, "ARTIST"),
		Album:  m.get(0, 4, "ALBUM"),
		Genre:  m.get(0, 4, "GENRE"),
		Year:   leadingNumber(m.get(0, 4, "DATE_RELEASED", "DATE_RECORDED", "DATE", "YEAR")),
		Track:  leadingNumber(m.get(0, 4, "PART_NUMBER", "TRACK", "TRACKNUMBER")),
	}
	// A TITLE at the album level is the title when there is no other, as ffmpeg reads it; the
	// Info Title only when there is no TITLE at all.
	album := m.get(2, 4, "TITLE")
	if t.Title == "" {
		t.Title, album = album, ""
	}
	if t.Title == "" {
		t.Title = m.title
	}
	if t.Album == "" {
		t.Album = album
	}
	return t
}
