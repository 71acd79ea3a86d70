package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Plan is a site's plan for the app, as Wix last said it: in a paid plan
// event or a Get App Instance answer.
type Plan struct {
	// Name is the plan's package name (Wix's vendorProductId), "" on the
	// free plan.
	Name string
	// Cycle is how the plan is billed, as Wix names it (MONTHLY, YEARLY,
	// ONE_TIME...); "" on the free plan.
	Cycle string
	// AutoRenew reports whether the plan renews when its cycle ends.
	AutoRenew bool
	// UpdatedAt is the time of the event or answer that said the above;
	// zero when nothing is known.
	UpdatedAt time.Time
	// ExpiresAt is when the paid period ends, zero when Wix did not say,
	// and ExpiryUpdatedAt the time of the event or answer that said it.
	// Events that do not mention the end (Auto Renewal Cancelled, Plan
	// Transferred) leave it as it was.
	ExpiresAt, ExpiryUpdatedAt time.Time
}

// Billing is the part of Store that --billing adds: each site's plan and
// details, the webhook deliveries already handled, and the purge of the
// data of removed sites.
//
// Plans follow the rules of the installation records (see Installs): each
// part of a plan is replaced only by what a later event says, and what was
// said at or before the site's latest removal is not the site's any more.
type Billing interface {
	// Plan returns the plan of id, or ErrNotFound when nothing is known
	// about it since its latest removal.
	Plan(ctx context.Context, id string) (Plan, error)

	// SetPlan records what an event or Get App Instance answer said about
	// id's plan: Name, Cycle and AutoRenew replace the stored ones when
	// p.UpdatedAt is later than theirs, and ExpiresAt when
	// p.ExpiryUpdatedAt is (a zero ExpiryUpdatedAt says nothing about it,
	// and may not be after UpdatedAt). Neither applies at or before a
	// recorded removal. Like SaveInstance, it creates the record when there
	// is none, and a plan after a removal brings the instance back.
	SetPlan(ctx context.Context, id string, p Plan) error

	// SetSite stores site, the JSON of a Get App Instance answer about id
	// made at time at, unless a later one, or a removal at or after at, is
	// recorded. It creates nothing: an unknown instance is left unknown.
	SetSite(ctx context.Context, id string, site json.RawMessage, at time.Time) error

	// Site returns what SetSite stored for id since its latest removal, or
	// ErrNotFound.
	Site(ctx context.Context, id string) (json.RawMessage, error)

	// CopySettings copies the settings of from, the site id was duplicated
	// from, to id as version 1, and reports whether it did: not when id
	// has settings already, from has none, or either site is removed.
	CopySettings(ctx context.Context, from, id string) (bool, error)

	// ClaimEvent records key, which names one webhook event, until the
	// time until, and reports whether it did: false when key is recorded
	// until after now, because a delivery of the event was handled or is
	// being handled.
	ClaimEvent(ctx context.Context, key string, now, until time.Time) (bool, error)

	// RememberEvent keeps key recorded until the time until: past Wix's
	// resends for an event handled, or the zero time to forget an event
	// whose handling failed, so that its next delivery is handled.
	RememberEvent(ctx context.Context, key string, until time.Time) error

	// Purge deletes, as of now, the settings and site details of every
	// site removed longer than Config.RemovedRetention ago and not
	// installed again since, and the events recorded until now or before.
	// It returns how many settings documents it deleted. The removal
	// records stay, so credentials issued before a removal are still
	// refused.
	Purge(ctx context.Context, now time.Time) (int, error)
}

// checkPlan checks SetPlan's arguments.
func checkPlan(id string, p Plan) error {
	if p.ExpiryUpdatedAt.After(p.UpdatedAt) {
		return fmt.Errorf("%w: plan expiry time after the plan time", ErrInvalid)
	}
	return cmp.Or(checkID(id), checkText("plan name", p.Name), checkText("plan cycle", p.Cycle),
		checkEventTime("plan time", p.UpdatedAt), checkTime("plan expiry", p.ExpiresAt), checkTime("plan expiry time", p.ExpiryUpdatedAt))
}

// checkSite checks SetSite's arguments.
func checkSite(id string, site json.RawMessage, at time.Time) error {
	if !json.Valid(site) || len(site) > 1<<20 {
		return fmt.Errorf("%w: site details are not JSON of at most 1 MiB", ErrInvalid)
	}
	return cmp.Or(checkID(id), checkEventTime("site time", at))
}

// checkEventKey checks an event key and its times.
func checkEventKey(key string, times ...time.Time) error {
	if key == "" || len(key) > 256 {
		return fmt.Errorf("%w: event key must be 1 to 256 bytes long", ErrInvalid)
	}
	err := checkText("event key", key)
	for _, t := range times {
		err = cmp.Or(err, checkTime("event time", t))
	}
	return err
}
