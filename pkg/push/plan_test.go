package push_test

import (
	"testing"

	"github.com/soundtime/soundtime/pkg/push"
)

func TestPlanParts(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name           string
		size, partSize int64
		count          int
		wantLast       int64 // size of the last part; 0 when the plan is refused
	}{
		{"exact multiple", 64 * mib, 16 * mib, 4, 16 * mib},
		{"short last part", 64*mib + 1, 16 * mib, 5, 1},
		{"one part", 3, 8 * mib, 1, 3},
		{"1 GiB in 8 MiB parts", 1 << 30, 8 * mib, 128, 8 * mib},
		{"too few parts", 64*mib + 1, 16 * mib, 4, 0},
		{"too many parts", 64 * mib, 16 * mib, 5, 0},
		{"no part size", 10, 0, 1, 0},
		{"empty file", 0, 8 * mib, 1, 0},
		{"over S3's 10,000 parts", 10001 * mib, mib, 10001, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, err := push.PlanParts(tc.size, tc.partSize, tc.count)
			if tc.wantLast == 0 {
				if err == nil {
					t.Fatalf("plan accepted: %d parts", len(parts))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(parts) != tc.count {
				t.Fatalf("%d parts, want %d", len(parts), tc.count)
			}
			var next int64
			for i, p := range parts {
				if p.Number != i+1 || p.Offset != next {
					t.Fatalf("part %d = %+v, want number %d at offset %d", i, p, i+1, next)
				}
				if i < len(parts)-1 && p.Size != tc.partSize {
					t.Fatalf("part %d has %d bytes, want %d", p.Number, p.Size, tc.partSize)
				}
				next += p.Size
			}
			if next != tc.size || parts[len(parts)-1].Size != tc.wantLast {
				t.Fatalf("parts cover %d bytes ending with %d, want %d ending with %d", next, parts[len(parts)-1].Size, tc.size, tc.wantLast)
			}
		})
	}
}
