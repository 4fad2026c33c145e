package federation

import (
	"context"
	"errors"
	"html"
	"net/url"
	"strings"

	"github.com/soundtime/soundtime/pkg/activitypub"
	"github.com/soundtime/soundtime/pkg/httpsig"
	"github.com/soundtime/soundtime/pkg/track"
)

// actorContext is the @context of the actor: ActivityStreams, and Security v1 for publicKey.
var actorContext = []any{activitypub.ActivityStreams, activitypub.SecurityV1}

// WebFinger answers /.well-known/webfinger for resource: acct:HANDLE@HOST (the user part in any
// case, the host exactly ours) or the actor's own IRI. ErrBadRequest without a resource,
// ErrNotFound for any other account or host.
func (s *Service) WebFinger(resource string) (*activitypub.JRD, error) {
	if resource == "" {
		return nil, ErrBadRequest
	}
	if resource != s.ActorID() {
		acct, ok := strings.CutPrefix(resource, "acct:")
		if !ok {
			return nil, ErrNotFound
		}
		user, host, ok := strings.Cut(strings.TrimPrefix(acct, "@"), "@")
		if !ok || !strings.EqualFold(user, s.Config.Handle) || !strings.EqualFold(host, s.Host()) {
			return nil, ErrNotFound
		}
	}
	return &activitypub.JRD{
		Subject: "acct:" + s.Config.Handle + "@" + s.Host(),
		Aliases: []string{s.ActorID()},
		Links: []activitypub.Link{
			{Rel: "self", Type: activitypub.MediaType, Href: s.ActorID()},
			{Rel: activitypub.ProfilePageRel, Type: "text/html", Href: s.Config.BaseURL + "/"},
		},
	}, nil
}

// Actor is our one actor, a Service.
func (s *Service) Actor() (*activitypub.Actor, error) {
	pemText, err := httpsig.MarshalPublicKeyPEM(&s.Key.PublicKey)
	if err != nil {
		return nil, err
	}
	return &activitypub.Actor{
		Context:           actorContext,
		ID:                s.ActorID(),
		Type:              "Service",
		PreferredUsername: s.Config.Handle,
		Name:              "Soundtime",
		Summary:           "<p>New public tracks shared on " + html.EscapeString(s.Host()) + ". Follow to hear them as they are posted; each post plays in place.</p>",
		URL:               s.Config.BaseURL + "/",
		Inbox:             s.InboxID(),
		Outbox:            s.OutboxID(),
		Followers:         s.FollowersID(),
		Following:         s.FollowingID(),
		Endpoints:         &activitypub.Endpoints{SharedInbox: s.InboxID()},
		Icon:              &activitypub.Image{Type: "Image", MediaType: "image/svg+xml", URL: s.Config.BaseURL + "/favicon.svg"},
		Discoverable:      true,
		PublicKey:         &activitypub.PublicKey{ID: s.KeyID(), Owner: s.ActorID(), PublicKeyPem: pemText},
	}, nil
}

// NodeInfoDiscovery is /.well-known/nodeinfo.
func (s *Service) NodeInfoDiscovery() *activitypub.NodeInfoDiscovery {
	return &activitypub.NodeInfoDiscovery{Links: []activitypub.Link{
		{Rel: activitypub.NodeInfoSchema21, Href: s.Config.BaseURL + "/nodeinfo/2.1"},
	}}
}

// NodeInfo is /nodeinfo/2.1: one user, the live public tracks as its posts.
func (s *Service) NodeInfo(ctx context.Context, version string) (*activitypub.NodeInfo, error) {
	posts, err := s.Tracks.CountPublic(ctx)
	if err != nil {
		return nil, err
	}
	return &activitypub.NodeInfo{
		Version:   "2.1",
		Software:  activitypub.NodeInfoSoftware{Name: "soundtime", Version: version},
		Protocols: []string{"activitypub"},
		Usage: activitypub.NodeInfoUsage{
			Users:      activitypub.NodeInfoUsers{Total: 1, ActiveHalfyear: 1, ActiveMonth: 1},
			LocalPosts: posts,
		},
		Metadata: map[string]any{"nodeName": "Soundtime"},
	}, nil
}

// outboxPageSize is how many Creates a page of the outbox holds.
const outboxPageSize = 20

// Outbox is /ap/outbox: the collection (page "") or one of its pages ("first", or a cursor a
// page named as its next), newest first.
func (s *Service) Outbox(ctx context.Context, page string) (any, error) {
	total, err := s.Tracks.CountPublic(ctx)
	if err != nil {
		return nil, err
	}
	if page == "" {
		return &activitypub.OrderedCollection{
			Context: activitypub.ActivityStreams, ID: s.OutboxID(), Type: "OrderedCollection",
			TotalItems: total, First: s.OutboxID() + "?page=first",
		}, nil
	}
	cursor := page
	if page == "first" {
		cursor = ""
	}
	tracks, next, err := s.Tracks.Public(ctx, outboxPageSize, cursor)
	if errors.Is(err, track.ErrNotFound) {
		return nil, ErrNotFound // a forged cursor
	}
	if err != nil {
		return nil, err
	}
	p := &activitypub.OrderedCollectionPage{
		Context: activitypub.ActivityStreams, ID: s.OutboxID() + "?page=" + url.QueryEscape(page),
		Type: "OrderedCollectionPage", PartOf: s.OutboxID(), TotalItems: total,
		OrderedItems: activitypub.Items{},
	}
	if next != "" {
		p.Next = s.OutboxID() + "?page=" + url.QueryEscape(next)
	}
	for _, t := range tracks {
		c := s.create(t)
		c.Context = nil
		p.OrderedItems = append(p.OrderedItems, c)
	}
	return p, nil
}

// FollowersCollection is /ap/followers: how many, not who (followers are other people's
// accounts, and nothing needs the list).
func (s *Service) FollowersCollection(ctx context.Context) (*activitypub.OrderedCollection, error) {
	n, err := s.Followers.Count(ctx)
	if err != nil {
		return nil, err
	}
	return &activitypub.OrderedCollection{
		Context: activitypub.ActivityStreams, ID: s.FollowersID(), Type: "OrderedCollection", TotalItems: n,
	}, nil
}

// FollowingCollection is /ap/following: the actor follows no one.
func (s *Service) FollowingCollection() *activitypub.OrderedCollection {
	return &activitypub.OrderedCollection{
		Context: activitypub.ActivityStreams, ID: s.FollowingID(), Type: "OrderedCollection",
		TotalItems: 0, OrderedItems: []any{},
	}
}

// announced returns the track id if it may be shown as a post: live, ready and public.
func (s *Service) announced(ctx context.Context, id string) (*track.Track, error) {
	if !track.ValidID(id) {
		return nil, ErrNotFound
	}
	t, err := s.Tracks.Track(ctx, id)
	if errors.Is(err, track.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !t.Public || t.Status != track.StatusReady {
		return nil, ErrNotFound
	}
	return t, nil
}

// NoteOf is /ap/tracks/{id}: the Note of a live public ready track, ErrNotFound otherwise.
func (s *Service) NoteOf(ctx context.Context, id string) (*activitypub.Note, error) {
	t, err := s.announced(ctx, id)
	if err != nil {
		return nil, err
	}
	n := s.note(t)
	n.Context = activitypub.ActivityStreams
	return n, nil
}

// CreateOf is /ap/tracks/{id}/activity: the Create delivered for the track, the same id.
func (s *Service) CreateOf(ctx context.Context, id string) (*activitypub.Create, error) {
	t, err := s.announced(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.create(t), nil
}

// note is the post of t. Its content names the track (title and artist, else the file name),
// escaped, with the share link as its only link: each receiving server fetches that page, finds
// the oEmbed and twitter:player tags, and shows a card whose iframe is our player. It has no
// attachment: a status with media attachments never gets a card.
func (s *Service) note(t *track.Track) *activitypub.Note {
	share := s.Config.BaseURL + "/t/" + t.ID
	name := t.Filename
	if t.Tags != nil && t.Tags.Title != "" {
		name = t.Tags.Title
	}
	line := "<strong>" + html.EscapeString(name) + "</strong>"
	if t.Tags != nil && t.Tags.Artist != "" {
		line += " by " + html.EscapeString(t.Tags.Artist)
	}
	content := "<p>New track: " + line + "</p><p><a href=\"" + html.EscapeString(share) + "\">" + html.EscapeString(share) + "</a></p>"
	return &activitypub.Note{
		ID:           s.NoteID(t.ID),
		Type:         "Note",
		AttributedTo: s.ActorID(),
		To:           []string{activitypub.Public},
		CC:           []string{s.FollowersID()},
		Published:    activitypub.Time{Time: t.UploadedAt},
		URL:          share,
		Content:      content,
		ContentMap:   map[string]string{"en": content},
	}
}

// create is the Create of t's Note.
func (s *Service) create(t *track.Track) *activitypub.Create {
	return &activitypub.Create{
		Context:   activitypub.ActivityStreams,
		ID:        s.CreateID(t.ID),
		Type:      "Create",
		Actor:     s.ActorID(),
		Published: activitypub.Time{Time: t.UploadedAt},
		To:        []string{activitypub.Public},
		CC:        []string{s.FollowersID()},
		Object:    s.note(t),
	}
}

// deleteOf is the Delete that withdraws the Note of the track id. Its id is on our host, as the
// Note's (GoToSocial refuses a Delete whose id and object are on different hosts).
func (s *Service) deleteOf(id string) *activitypub.Delete {
	return &activitypub.Delete{
		Context:   activitypub.ActivityStreams,
		ID:        s.NoteID(id) + "#delete",
		Type:      "Delete",
		Actor:     s.ActorID(),
		Published: activitypub.Time{Time: s.now()},
		To:        []string{activitypub.Public},
		CC:        []string{s.FollowersID()},
		Object:    &activitypub.Tombstone{ID: s.NoteID(id), Type: "Tombstone", FormerType: "Note"},
	}
}
