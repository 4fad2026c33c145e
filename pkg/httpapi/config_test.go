package httpapi_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"github.com/soundtime/soundtime/pkg/track"
)

func TestConfigEndpoint(t *testing.T) {
	h := newSiteHarness(t, nil)
	m := decodeObject(t, h.do(t, "GET", "/api/config", ""))
	if m["maxUploadBytes"] != json.Number(strconv.FormatInt(testConfig.MaxUploadBytes, 10)) ||
		m["maxDurationSeconds"] != json.Number("14400") || m["retentionDays"] != json.Number("14") {
		t.Errorf("config = %v", m)
	}
	var types []string
	for _, v := range m["types"].([]any) {
		types = append(types, v.(string))
	}
	if !slices.Equal(types, track.AllowedTypes()) || !slices.Contains(types, "audio/flac") || slices.Contains(types, "video/mp4") {
		t.Errorf("types = %v", types)
	}
}
