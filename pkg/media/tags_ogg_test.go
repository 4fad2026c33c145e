package media_test

import "encoding/binary"

// oggStream returns an Ogg stream of one logical stream holding packets, one page each (without
// valid checksums, which ReadTags does not need).
func oggStream(packets ...[]byte) []byte {
	var b []byte
	for i, p := range packets {
		var lacing []byte
		n := len(p)
		for ; n >= 255; n -= 255 {
			lacing = append(lacing, 255)
		}
		lacing = append(lacing, byte(n))
		h := []byte("OggS\x00")
		flags := byte(0)
		if i == 0 {
			flags = 2
		}
		h = append(h, flags)
		h = append(h, make([]byte, 8)...) // granule position
		h = binary.LittleEndian.AppendUint32(h, 1)
		h = binary.LittleEndian.AppendUint32(h, uint32(i))
		h = append(h, 0, 0, 0, 0, byte(len(lacing)))
		b = append(append(append(b, h...), lacing...), p...)
	}
	return b
}
