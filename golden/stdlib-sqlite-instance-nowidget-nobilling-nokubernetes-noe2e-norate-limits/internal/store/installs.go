package store

import (
	"context"
	"fmt"
	"time"
)

// InstanceRecord is what the backend knows about one installation.
type InstanceRecord struct {
	ID string // the Wix instance ID
	// InstalledAt is the install event's time; zero until it arrives, as a
	// plan event may come first.
	InstalledAt time.Time
	// Plan is the vendorProductId of the paid plan, "" when free.
	Plan          string
	PlanUpdatedAt time.Time // of the last plan event applied; zero when none was
}

// Installs is the part of Store that keeps installation records, from Wix's
// app lifecycle events, each applied as of the time it carries, by the
// rules in the README's "Webhooks" section: a removal wins over an install
// or plan event at or before it, and one after it brings the instance back.
// Every method is idempotent. A zero time means "not known" or "never"; an
// event time must be non-zero and in years 1 to 9999, or ErrInvalid.
type Installs interface {
	// SaveInstance records an installation at rec.InstalledAt, unless a
	// removal at or after that time is recorded. The latest install time is
	// kept, and rec's plan replaces the stored one only when
	// rec.PlanUpdatedAt is later (a bare install keeps the plan).
	SaveInstance(ctx context.Context, rec InstanceRecord) error

	// Instance returns the record of id, or ErrNotFound when there is none
	// or the instance has been removed.
	Instance(ctx context.Context, id string) (InstanceRecord, error)

	// SetPlan records that instance id moved to plan at time at, unless a
	// later plan event, or a removal at or after at, is recorded. It creates
	// the record when there is none.
	SetPlan(ctx context.Context, id, plan string, at time.Time) error

	// DeleteInstance records that instance id was removed at time at, and
	// deletes its settings unless the instance was installed after at: the
	// removal of an earlier installation. A plan event after at is kept.
	DeleteInstance(ctx context.Context, id string, at time.Time) error

	// RemovedAt returns the time of the latest removal recorded for id, zero
	// when none was. It stays after a reinstall: a credential issued at or
	// before it belongs to the removed installation.
	RemovedAt(ctx context.Context, id string) (time.Time, error)
}

// checkEventTime rejects a zero time and times checkTime rejects.
func checkEventTime(name string, t time.Time) error {
	if t.IsZero() {
		return fmt.Errorf("%w: %s is zero", ErrInvalid, name)
	}
	return checkTime(name, t)
}
