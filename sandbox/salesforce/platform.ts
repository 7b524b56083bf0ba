/**
 * What the platform computes on every save, as Salesforce does: full names, the activity's AccountId (from
 * WhatId, else a Contact WhoId), IsClosed/IsHighPriority/CompletedDateTime from the Task's status and priority,
 * and the Event's time fields (StartDateTime ⇄ ActivityDateTime/ActivityDate, EndDateTime ⇄ DurationInMinutes).
 */
import { type FieldValue } from './model';
import { HIGH_PRIORITIES, TASK_STATUSES, type ObjectDef } from './schema';
import { type RecordFields, type Store } from './store';
import { RecordError } from './values';

const MINUTE = 60000;
const DAY_MINUTES = 1440;
/** "An event can't last longer than 14 days." */
const MAX_EVENT_MINUTES = 14 * DAY_MINUTES;
const CLOSED_STATUSES = new Set(TASK_STATUSES.filter((s) => s.closed).map((s) => s.value));

function str(v: FieldValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

function fullName(fields: RecordFields): string {
  return [str(fields['FirstName']), str(fields['LastName'])].filter((s): s is string => !!s).join(' ');
}

/**
 * AccountId of a Task or Event: "If the value of WhatId is [an Account] ... Salesforce uses that object's
 * AccountId. If the value of the WhatId field is any other object, and the value of the WhoId field is a
 * Contact object, then Salesforce uses that contact's AccountId. Otherwise ... null."
 */
export function deriveActivityAccountId(store: Store, whatId: string | null, whoId: string | null): string | null {
  if (whatId) {
    const what = store.getRecord(whatId);
    if (what?.type === 'Account') return what.id;
  }
  if (whoId) {
    const who = store.getRecord(whoId);
    if (who?.type === 'Contact') return str(who.fields['AccountId']);
  }
  return null;
}

export interface SaveContext {
  store: Store;
  object: ObjectDef;
  /** The record being built (mutated here, before it becomes an immutable record). */
  fields: RecordFields;
  previous: RecordFields | undefined;
  /** Field names the request set. */
  provided: Set<string>;
  nowIso: string;
}

export function applyPlatformFields(ctx: SaveContext): void {
  const { object, fields } = ctx;
  switch (object.name) {
    case 'User':
      fields['Name'] = fullName(fields);
      if (!ctx.previous) {
        const first = str(fields['FirstName']) ?? '';
        const last = str(fields['LastName']) ?? '';
        fields['Alias'] ??= `${first.slice(0, 1)}${last.slice(0, 4)}`.toLowerCase() || 'user';
        fields['CommunityNickname'] ??= (str(fields['Username']) ?? '').split('@')[0] ?? null;
      }
      break;
    case 'Contact':
      fields['Name'] = fullName(fields);
      break;
    case 'Task':
      applyTaskFields(ctx);
      break;
    case 'Event':
      applyEventTiming(ctx);
      fields['AccountId'] = deriveActivityAccountId(ctx.store, str(fields['WhatId']), str(fields['WhoId']));
      break;
    default:
      // Custom objects: a blank Name becomes the record ID.
      if (object.custom && fields['Name'] === null) fields['Name'] = fields['Id'] ?? null;
  }
}

function applyTaskFields({ store, fields, previous, nowIso }: SaveContext): void {
  const status = str(fields['Status']);
  const closed = status !== null && CLOSED_STATUSES.has(status);
  fields['IsClosed'] = closed;
  fields['IsHighPriority'] = HIGH_PRIORITIES.has(str(fields['Priority']) ?? '');
  // CompletedDateTime is stamped when a task closes and cleared when it reopens.
  if (!closed) fields['CompletedDateTime'] = null;
  else if (!previous || previous['IsClosed'] !== true) fields['CompletedDateTime'] = nowIso;
  fields['AccountId'] = deriveActivityAccountId(store, str(fields['WhatId']), str(fields['WhoId']));
}

function ms(v: FieldValue | undefined): number | null {
  return typeof v === 'string' ? Date.parse(v) : null;
}

function iso(msValue: number): string {
  return new Date(msValue).toISOString();
}

function integrity(message: string, fields: string[]): RecordError {
  return new RecordError(400, 'FIELD_INTEGRITY_EXCEPTION', message, fields);
}

function applyEventTiming({ fields, previous, provided }: SaveContext): void {
  const given = (name: string) => provided.has(name);
  if (fields['IsAllDayEvent'] === true) {
    applyAllDayTiming(fields, previous, given);
    return;
  }
  if (given('StartDateTime') && given('ActivityDateTime') && fields['StartDateTime'] !== fields['ActivityDateTime']) {
    throw integrity('Start Date Time: must match Due Date Time (ActivityDateTime), or one of them must be null', ['StartDateTime', 'ActivityDateTime']);
  }
  const startIso = given('ActivityDateTime') && !given('StartDateTime') ? fields['ActivityDateTime'] : fields['StartDateTime'] ?? fields['ActivityDateTime'];
  const start = ms(startIso);
  if (start === null) throw new RecordError(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [StartDateTime]', ['StartDateTime']);

  let end = ms(fields['EndDateTime']);
  let duration = typeof fields['DurationInMinutes'] === 'number' ? fields['DurationInMinutes'] : null;
  const endGiven = given('EndDateTime') && end !== null;
  const durationGiven = given('DurationInMinutes') && duration !== null;
  if (endGiven && durationGiven) {
    // "If both are given they must agree."
    if (end !== start + (duration ?? 0) * MINUTE) {
      throw integrity('End Date Time and Duration (DurationInMinutes) do not agree with Start Date Time', ['EndDateTime', 'DurationInMinutes']);
    }
  } else if (endGiven && end !== null) {
    duration = Math.round((end - start) / MINUTE);
  } else if (durationGiven && duration !== null) {
    end = start + duration * MINUTE;
  } else if (previous && typeof previous['DurationInMinutes'] === 'number' && !given('EndDateTime') && !given('DurationInMinutes')) {
    // Moving an event keeps its length.
    duration = previous['DurationInMinutes'];
    end = start + duration * MINUTE;
  } else {
    // "When IsAllDayEvent is false, either EndDateTime or DurationInMinutes is required."
    throw new RecordError(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [DurationInMinutes]', ['DurationInMinutes']);
  }
  if (end === null || duration === null) throw new RecordError(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [DurationInMinutes]', ['DurationInMinutes']);
  if (duration < 0) throw integrity('End Date Time: End time cannot be before start time', ['EndDateTime']);
  if (duration > MAX_EVENT_MINUTES) throw integrity('Event duration cannot exceed 14 days', ['DurationInMinutes']);

  const startDate = iso(start).slice(0, 10);
  // "The value for this field [ActivityDate] and StartDateTime must match, or one of them must be null."
  if (given('ActivityDate') && fields['ActivityDate'] !== null && fields['ActivityDate'] !== startDate) {
    throw integrity('Due Date Only: must match the date of Start Date Time', ['ActivityDate']);
  }
  fields['StartDateTime'] = iso(start);
  fields['ActivityDateTime'] = iso(start);
  fields['ActivityDate'] = startDate;
  fields['EndDateTime'] = iso(end);
  fields['EndDate'] = iso(end).slice(0, 10);
  fields['DurationInMinutes'] = duration;
}

/** All-day events: midnight UTC of ActivityDate; the duration defaults to one day; the end date is inclusive. */
function applyAllDayTiming(fields: RecordFields, previous: RecordFields | undefined, given: (name: string) => boolean): void {
  const date = (given('ActivityDate') ? str(fields['ActivityDate']) : null) ?? str(fields['StartDateTime'])?.slice(0, 10) ?? str(previous?.['ActivityDate']) ?? null;
  if (!date) throw new RecordError(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [ActivityDate]', ['ActivityDate']);
  const start = Date.parse(`${date}T00:00:00.000Z`);
  let duration = given('DurationInMinutes') && typeof fields['DurationInMinutes'] === 'number' ? fields['DurationInMinutes'] : null;
  if (duration === null && given('EndDateTime') && typeof fields['EndDateTime'] === 'string') {
    duration = Math.round((Date.parse(`${fields['EndDateTime'].slice(0, 10)}T00:00:00.000Z`) - start) / MINUTE) + DAY_MINUTES;
  }
  if (duration === null) duration = previous?.['IsAllDayEvent'] === true && typeof previous['DurationInMinutes'] === 'number' ? previous['DurationInMinutes'] : DAY_MINUTES;
  if (duration < DAY_MINUTES) throw integrity('End Date Time: End time cannot be before start time', ['EndDateTime']);
  if (duration > MAX_EVENT_MINUTES) throw integrity('Event duration cannot exceed 14 days', ['DurationInMinutes']);
  const end = start + (duration - DAY_MINUTES) * MINUTE;
  fields['ActivityDate'] = date;
  fields['StartDateTime'] = iso(start);
  fields['ActivityDateTime'] = iso(start);
  fields['EndDateTime'] = iso(end);
  fields['EndDate'] = iso(end).slice(0, 10);
  fields['DurationInMinutes'] = duration;
}
