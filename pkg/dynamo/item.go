package dynamo

import (
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/soundtime/soundtime/pkg/track"
)

// item is a track as stored. Times are epoch seconds: `ttl` must be, for DynamoDB's TTL to act on
// it, and the others follow for one convention. Empty attributes are omitted, so an item stays
// small and a stream image shows only what exists.
type item struct {
	ID           string `dynamodbav:"id"`
	Status       string `dynamodbav:"status"`
	Filename     string `dynamodbav:"filename"`
	Type         string `dynamodbav:"type"`
	Size         int64  `dynamodbav:"size"`
	MD5          string `dynamodbav:"md5"`
	Downloadable bool   `dynamodbav:"downloadable"`
	Public       bool   `dynamodbav:"public"`

	CreatedAt  int64 `dynamodbav:"createdAt"`
	UploadedAt int64 `dynamodbav:"uploadedAt,omitempty"`
	TTL        int64 `dynamodbav:"ttl"`

	OriginalKey     string `dynamodbav:"originalKey"`
	DeleteTokenHash string `dynamodbav:"deleteTokenHash"`

	// A multipart upload's ID and plan; absent for a single PUT.
	UploadID  string `dynamodbav:"uploadId,omitempty"`
	PartSize  int64  `dynamodbav:"partSize,omitempty"`
	PartCount int    `dynamodbav:"partCount,omitempty"`

	FailureCode    string `dynamodbav:"failureCode,omitempty"`
	FailureMessage string `dynamodbav:"failureMessage,omitempty"`

	Version    int64 `dynamodbav:"version"`
	LeaseUntil int64 `dynamodbav:"leaseUntil,omitempty"`
	Attempts   int   `dynamodbav:"attempts,omitempty"`
	// Sweep and SweepAt exist only while a track is pending or processing: they are the keys of
	// the sparse SweepIndex, which the sweeper queries instead of scanning the table.
	Sweep   string `dynamodbav:"sweep,omitempty"`
	SweepAt int64  `dynamodbav:"sweepAt,omitempty"`

	Announced bool `dynamodbav:"announced,omitempty"`
	// Pub and PubAt exist only on ready public tracks: the keys of the sparse PublicIndex, which
	// the outbox and NodeInfo query, newest first.
	Pub   string `dynamodbav:"pub,omitempty"`
	PubAt int64  `dynamodbav:"pubAt,omitempty"`

	Duration       float64      `dynamodbav:"duration,omitempty"`
	ProcessSeconds float64      `dynamodbav:"processSeconds,omitempty"`
	DerivedBytes   int64        `dynamodbav:"derivedBytes,omitempty"`
	Audio          *track.Audio `dynamodbav:"audio,omitempty"`
	Tags           *track.Tags  `dynamodbav:"tags,omitempty"`
	CoverKey       string       `dynamodbav:"coverKey,omitempty"`
	CoverType      string       `dynamodbav:"coverType,omitempty"`
	Theme          *track.Theme `dynamodbav:"theme,omitempty"`
	PreviewKey     string       `dynamodbav:"previewKey,omitempty"`
	PlaylistKey    string       `dynamodbav:"playlistKey,omitempty"`
	WaveformKey    string       `dynamodbav:"waveformKey,omitempty"`
	CoverWidth     int          `dynamodbav:"coverWidth,omitempty"`
	CoverHeight    int          `dynamodbav:"coverHeight,omitempty"`
	CardKey        string       `dynamodbav:"cardKey,omitempty"`
}

// Marshal returns the attribute map of t.
func Marshal(t *track.Track) (map[string]types.AttributeValue, error) {
	it := item{
		ID: t.ID, Status: string(t.Status), Filename: t.Filename, Type: t.Type, Size: t.Size,
		MD5: t.MD5, Downloadable: t.Downloadable, Public: t.Public,
		CreatedAt: unix(t.CreatedAt), UploadedAt: unix(t.UploadedAt), TTL: unix(t.ExpiresAt),
		OriginalKey: t.OriginalKey, DeleteTokenHash: t.DeleteTokenHash,
		UploadID: t.UploadID, PartSize: t.PartSize, PartCount: t.PartCount,
		FailureCode: t.FailureCode, FailureMessage: t.FailureMessage,
		Version: t.Version, LeaseUntil: unix(t.LeaseUntil), Attempts: t.Attempts,
		Duration: t.Duration, ProcessSeconds: t.ProcessSeconds, DerivedBytes: t.DerivedBytes,
		Audio: t.Audio, Tags: t.Tags,
		CoverKey: t.CoverKey, CoverType: t.CoverType, Theme: t.Theme, PreviewKey: t.PreviewKey,
		PlaylistKey: t.PlaylistKey, WaveformKey: t.WaveformKey,
		CoverWidth: t.CoverWidth, CoverHeight: t.CoverHeight, CardKey: t.CardKey,
	}
	if !t.SweepAt.IsZero() && (t.Status == track.StatusPending || t.Status == track.StatusProcessing) {
		it.Sweep, it.SweepAt = string(t.Status), t.SweepAt.Unix()
	}
	if t.Public && t.Status == track.StatusReady {
		it.Pub, it.PubAt = publicKey, unix(t.UploadedAt)
	}
	it.Announced = t.Announced
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, fmt.Errorf("dynamo: marshal %s: %w", t.ID, err)
	}
	return av, nil
}

// Unmarshal returns the track of an attribute map: an item read, or a stream record's image.
func Unmarshal(av map[string]types.AttributeValue) (*track.Track, error) {
	var it item
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return nil, fmt.Errorf("dynamo: unmarshal item: %w", err)
	}
	return &track.Track{
		ID: it.ID, Status: track.Status(it.Status), Filename: it.Filename, Type: it.Type,
		Size: it.Size, MD5: it.MD5, Downloadable: it.Downloadable, Public: it.Public, Announced: it.Announced,
		CreatedAt: fromUnix(it.CreatedAt), UploadedAt: fromUnix(it.UploadedAt), ExpiresAt: fromUnix(it.TTL),
		OriginalKey: it.OriginalKey, DeleteTokenHash: it.DeleteTokenHash,
		UploadID: it.UploadID, PartSize: it.PartSize, PartCount: it.PartCount,
		FailureCode: it.FailureCode, FailureMessage: it.FailureMessage,
		Version: it.Version, LeaseUntil: fromUnix(it.LeaseUntil), Attempts: it.Attempts,
		SweepAt:  fromUnix(it.SweepAt),
		Duration: it.Duration, ProcessSeconds: it.ProcessSeconds, DerivedBytes: it.DerivedBytes,
		Audio: it.Audio, Tags: it.Tags,
		CoverKey: it.CoverKey, CoverType: it.CoverType, Theme: it.Theme, PreviewKey: it.PreviewKey,
		PlaylistKey: it.PlaylistKey, WaveformKey: it.WaveformKey,
		CoverWidth: it.CoverWidth, CoverHeight: it.CoverHeight, CardKey: it.CardKey,
	}, nil
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// FromStream returns the track of a stream record's image, as Lambda decodes it.
func FromStream(image map[string]events.DynamoDBAttributeValue) (*track.Track, error) {
	av := make(map[string]types.AttributeValue, len(image))
	for k, v := range image {
		c, err := fromStreamValue(v)
		if err != nil {
			return nil, fmt.Errorf("dynamo: stream image attribute %s: %w", k, err)
		}
		av[k] = c
	}
	return Unmarshal(av)
}

func fromStreamValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		var l []types.AttributeValue
		for _, e := range v.List() {
			c, err := fromStreamValue(e)
			if err != nil {
				return nil, err
			}
			l = append(l, c)
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case events.DataTypeMap:
		m := map[string]types.AttributeValue{}
		for k, e := range v.Map() {
			c, err := fromStreamValue(e)
			if err != nil {
				return nil, err
			}
			m[k] = c
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown data type %v", v.DataType())
}
