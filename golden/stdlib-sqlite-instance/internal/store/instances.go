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
	// InstalledAt is when the app was installed; zero when not yet known
	// (a plan event can arrive before the install event).
	InstalledAt time.Time
	// Plan is the vendorProductId of the current paid plan, "" when free.
	Plan string
	// PlanUpdatedAt is the operation time of the last plan event applied;
	// zero when no plan event has been applied.
	PlanUpdatedAt time.Time
}

// Instances is the part of Store that keeps installation records. The
// webhooks package keeps them up to date from Wix's app lifecycle events.
//
// The rules of Store apply. In addition, times are stored in UTC and must
// lie in years 1 to 9999; anything else is rejected with ErrInvalid.
type Instances interface {
	// SaveInstance records an installation. It is idempotent: saving the
	// same record again leaves the store unchanged. When the instance is
	// already known, the earliest non-zero InstalledAt is kept, and the plan
	// fields of rec replace the stored ones only when rec.PlanUpdatedAt is
	// after the stored PlanUpdatedAt, so a bare install event never clears
	// a plan that is already recorded.
	SaveInstance(ctx context.Context, rec InstanceRecord) error

	// Instance returns the record for id, or ErrNotFound.
	Instance(ctx context.Context, id string) (InstanceRecord, error)

	// SetPlan records that instance id moved to plan at operation time at.
	// It is applied only when at is after the stored PlanUpdatedAt, so an
	// older event delivered late, or the same event delivered twice, changes
	// nothing. It creates the record (with a zero InstalledAt) when missing.
	// A zero at is rejected with ErrInvalid.
	SetPlan(ctx context.Context, id, plan string, at time.Time) error

	// DeleteInstance deletes the record and all data of instance id,
	// settings included. It returns nil when there is nothing to delete.
	DeleteInstance(ctx context.Context, id string) error
}

// checkTime rejects times that RFC 3339 cannot represent.
func checkTime(name string, t time.Time) error {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("%w: %s year %d is outside 1 to 9999", ErrInvalid, name, y)
	}
	return nil
}
