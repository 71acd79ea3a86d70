package store

import (
	"context"
	"fmt"
	"time"
)

// InstanceRecord is what the backend knows about one installation.
type InstanceRecord struct {
	// ID is the Wix instance ID.
	ID string
	// InstalledAt is when the app was installed (the issue time of the
	// install event); zero when not yet known (a plan event can arrive
	// before the install event).
	InstalledAt time.Time
	// Plan is the vendorProductId of the current paid plan, "" when free.
	Plan string
	// PlanUpdatedAt is the operation time of the last plan event applied;
	// zero when no plan event has been applied.
	PlanUpdatedAt time.Time
}

// Instances is the part of Store that keeps installation records. The
// webhooks package keeps them up to date from Wix's app lifecycle events,
// which may arrive late, more than once and out of order. Each event carries
// a time, and the store uses the times to tell a stale event from a current
// one:
//
//   - The store remembers, for every instance it has seen removed, the time
//     of the latest removal it applied (RemovedAt below). It keeps that time
//     for as long as it keeps the instance, after a reinstall too; zero means
//     never removed.
//   - An install or plan change at or before RemovedAt belongs to an
//     installation that has since been removed: it changes nothing.
//   - A removal before the recorded InstalledAt belongs to an earlier
//     installation: it changes nothing.
//   - An install and a removal with the same time count as the install
//     followed by the removal, whichever arrives first: the instance ends up
//     removed.
//
// A removed instance is kept as a tombstone (ID and RemovedAt only), for
// which Instance returns ErrNotFound, until an install or plan change after
// RemovedAt brings it back. Tombstones are a storage detail: they are never
// returned and take a few bytes per removed instance.
//
// The rules of Store apply. In addition, times are stored in UTC and must
// lie in years 1 to 9999; anything else is rejected with ErrInvalid.
type Instances interface {
	// SaveInstance records an installation at rec.InstalledAt, which is
	// required (a zero InstalledAt is rejected with ErrInvalid).
	//
	// When rec.InstalledAt is at or before the instance's RemovedAt, the
	// install is stale and nothing changes. Otherwise the instance is
	// installed: a tombstone becomes a record again, with InstalledAt =
	// rec.InstalledAt. When a record (not a tombstone) is already stored, the
	// earlier of the two InstalledAt is kept, and the plan fields of rec
	// replace the stored ones only when rec.PlanUpdatedAt is after the stored
	// PlanUpdatedAt (and after RemovedAt), so a bare install event never
	// clears a plan that is already recorded. It is idempotent: saving the
	// same record again leaves the store unchanged.
	SaveInstance(ctx context.Context, rec InstanceRecord) error

	// Instance returns the record for id, or ErrNotFound when there is none
	// or the instance has been removed (a tombstone).
	Instance(ctx context.Context, id string) (InstanceRecord, error)

	// SetPlan records that instance id moved to plan at operation time at.
	// It is applied only when at is after both the stored PlanUpdatedAt and
	// the instance's RemovedAt, so an older event delivered late, an event
	// of an installation that has since been removed, or the same event
	// delivered twice, changes nothing. When applied to a missing instance
	// or a tombstone, it creates the record (with a zero InstalledAt, until
	// the install event arrives). A zero at is rejected with ErrInvalid.
	SetPlan(ctx context.Context, id, plan string, at time.Time) error

	// DeleteInstance records that instance id was removed at time at, which
	// is required (a zero at is rejected with ErrInvalid).
	//
	// When the stored InstalledAt is after at, the removal belongs to an
	// earlier installation and nothing changes. Otherwise the instance's
	// settings are deleted and the record becomes a tombstone with RemovedAt
	// = max(RemovedAt, at). The one thing kept is a plan change after the
	// new RemovedAt: it comes from a later installation whose install event
	// has not arrived yet, so the record stays, with a zero InstalledAt,
	// exactly as if SetPlan had been called after the removal. Removing an
	// instance the store does not know records a tombstone, so that its
	// install event arriving late is still refused. It is idempotent:
	// removing again changes nothing more.
	DeleteInstance(ctx context.Context, id string, at time.Time) error
}

// checkTime rejects times that RFC 3339 cannot represent.
func checkTime(name string, t time.Time) error {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("%w: %s year %d is outside 1 to 9999", ErrInvalid, name, y)
	}
	return nil
}

// checkEventTime rejects a zero time and times checkTime rejects.
func checkEventTime(name string, t time.Time) error {
	if t.IsZero() {
		return fmt.Errorf("%w: %s is zero", ErrInvalid, name)
	}
	return checkTime(name, t)
}
