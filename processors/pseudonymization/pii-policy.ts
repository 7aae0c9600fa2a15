/**
 * Which fields of a canonical event are personal data, and what happens to each (design Part 8.2/8.3).
 *
 * Actions:
 * - `pseudonymize`: the value is encrypted into the vault under its subject and replaced by a token
 *   `pii:<pseudonym>:<fieldId>`. Without a subject to file it under (e.g. a service actor), it is dropped.
 * - `truncate`: IP addresses keep their network only (IPv4 /24, IPv6 /48); anything else is dropped.
 * - `drop`: the field is removed.
 * - `keep`: explicitly not PII (overrides the key-name heuristics for that path).
 *
 * Subject references are person ids that become pseudonyms rather than tokens, so that read models can
 * join on them: `actor.id` of user/anonymous actors, `entity.id` of user entities, and the configured
 * `subjectReferences` (e.g. `entity.details.owner_id` → `entity.details.owner_pseudonym`, see
 * docs/social-events.md). Service and system actors keep their id: it names software, not a person.
 */

export type PiiAction = 'pseudonymize' | 'truncate' | 'drop' | 'keep';

export interface KeyRule {
  /** Tested against the key name lower-cased with every non-alphanumeric character removed. */
  readonly pattern: RegExp;
  readonly action: PiiAction;
  /** Free-form roots where the rule applies; all of them when absent. */
  readonly roots?: readonly string[];
}

export interface SubjectReference {
  /** Dotted path of a person's id. */
  readonly path: string;
  readonly kind: 'user' | 'anonymous';
  /** Dotted path (same parent) that receives the pseudonym; the original field is removed. */
  readonly pseudonymPath: string;
}

export interface PiiPolicy {
  /** Exact dotted paths and their action; wins over key rules. */
  readonly fields: Readonly<Record<string, PiiAction>>;
  /** Objects whose keys are free-form (user-supplied): searched by key name and value shape. */
  readonly freeFormRoots: readonly string[];
  readonly keyRules: readonly KeyRule[];
  /** Action for a string value shaped like an e-mail address anywhere under a free-form root. */
  readonly emailValueAction: PiiAction;
  /** Entity types whose `entity.id` is a person (replaced by that subject's pseudonym). */
  readonly userEntityTypes: readonly string[];
  readonly subjectReferences: readonly SubjectReference[];
}

const ACTOR_DETAILS = 'actor.details';

export const FREE_FORM_ROOTS = [
  ACTOR_DETAILS,
  'entity.details',
  'context.attributes',
  'context.domain_specific.analytics.properties',
  // A producer may send a snapshot of its own (canonical input); the profile's is stamped after this step.
  'context.domain_specific.analytics.user_state_snapshot',
  'context.domain_specific.audit.request',
  'context.domain_specific.audit.response',
] as const;

/** The defaults; extend them with `definePiiPolicy`. */
export const DEFAULT_PII_POLICY: PiiPolicy = {
  fields: {
    'context.client.ip_address': 'truncate',
    'context.client.user_agent': 'pseudonymize',
    'context.client.session_id': 'pseudonymize',
  },
  freeFormRoots: FREE_FORM_ROOTS,
  keyRules: [
    // Order matters: the first matching rule wins ("ipaddress" is an IP before it is an address).
    { pattern: /^(ip|ips|ipaddress|ipv4|ipv6|clientip|remoteip|remoteaddr|sourceip|sourceipaddress|xforwardedfor|xrealip)$/, action: 'truncate' },
    { pattern: /e?mail/, action: 'pseudonymize' },
    { pattern: /(phone|mobile|msisdn|telephone|^tel$|fax)/, action: 'pseudonymize' },
    {
      pattern: /^(firstname|lastname|fullname|givenname|familyname|surname|middlename|displayname|username|nickname|realname|login|loginname|contactname)$/,
      action: 'pseudonymize',
    },
    // A bare "name" is a person's only inside actor details; elsewhere it is usually a product or a page.
    // Likewise ARNs and principal ids name a person (an IAM user) when they describe the actor.
    { pattern: /^(name|arn|principalid|gender|sex)$/, action: 'pseudonymize', roots: [ACTOR_DETAILS] },
    { pattern: /^(accesskeyid|awsaccesskeyid)$/, action: 'pseudonymize' },
    { pattern: /^(address|streetaddress|street|homeaddress|postaladdress|ssn|socialsecuritynumber|taxid|passport|passportnumber|dateofbirth|birthdate|birthday|dob)$/, action: 'pseudonymize' },
    { pattern: /^(password|passwd|secret|token|accesstoken|refreshtoken|apikey|authorization|cookie|setcookie|creditcard|cardnumber|cvv|iban)$/, action: 'drop' },
    { pattern: /^(deviceid|distinctid|advertisingid|idfa|gaid|sessionid)$/, action: 'pseudonymize' },
  ],
  emailValueAction: 'pseudonymize',
  userEntityTypes: ['user'],
  subjectReferences: [
    { path: 'entity.details.owner_id', kind: 'user', pseudonymPath: 'entity.details.owner_pseudonym' },
    { path: 'actor.details.anonymous_id', kind: 'anonymous', pseudonymPath: 'actor.details.anonymous_pseudonym' },
    { path: 'actor.details.user_id', kind: 'user', pseudonymPath: 'actor.details.user_pseudonym' },
  ],
};

export interface PiiPolicyOverrides {
  /** Extra exact paths (e.g. `context.domain_specific.audit.request.parameters.userName`). */
  readonly fields?: Readonly<Record<string, PiiAction>>;
  /** Extra key rules, tried before the defaults. */
  readonly keyRules?: readonly KeyRule[];
  readonly emailValueAction?: PiiAction;
  readonly userEntityTypes?: readonly string[];
  readonly subjectReferences?: readonly SubjectReference[];
}

/** The default policy extended (never weakened implicitly: overriding a path to `keep` is explicit). */
export function definePiiPolicy(overrides: PiiPolicyOverrides = {}): PiiPolicy {
  return {
    fields: { ...DEFAULT_PII_POLICY.fields, ...overrides.fields },
    freeFormRoots: DEFAULT_PII_POLICY.freeFormRoots,
    keyRules: [...(overrides.keyRules ?? []), ...DEFAULT_PII_POLICY.keyRules],
    emailValueAction: overrides.emailValueAction ?? DEFAULT_PII_POLICY.emailValueAction,
    userEntityTypes: overrides.userEntityTypes ?? DEFAULT_PII_POLICY.userEntityTypes,
    subjectReferences: [...DEFAULT_PII_POLICY.subjectReferences, ...(overrides.subjectReferences ?? [])],
  };
}

export const normalizeKey = (key: string): string => key.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The action of a free-form key under `root`, or undefined when the key name says nothing. */
export function keyAction(policy: PiiPolicy, root: string, key: string): PiiAction | undefined {
  // Free-form keys repeat from event to event: remember each answer (a few regex tests per key otherwise).
  let memo = keyActionMemo.get(policy);
  if (memo === undefined) keyActionMemo.set(policy, (memo = new Map()));
  const memoKey = `${root}\u0000${key}`;
  const known = memo.get(memoKey);
  if (known !== undefined) return known === NO_ACTION ? undefined : known;
  const action = computeKeyAction(policy, root, key);
  if (memo.size >= KEY_ACTION_MEMO_SIZE) memo.clear();
  memo.set(memoKey, action ?? NO_ACTION);
  return action;
}

const NO_ACTION = 'none';
const KEY_ACTION_MEMO_SIZE = 10_000;
const keyActionMemo = new WeakMap<PiiPolicy, Map<string, PiiAction | typeof NO_ACTION>>();

function computeKeyAction(policy: PiiPolicy, root: string, key: string): PiiAction | undefined {
  const normalized = normalizeKey(key);
  for (const rule of policy.keyRules) {
    if (rule.roots !== undefined && !rule.roots.includes(root)) continue;
    if (rule.pattern.test(normalized)) return rule.action;
  }
  return undefined;
}

// Deliberately simple: local@domain.tld with no spaces. False positives are pseudonymized, which is safe.
const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
export const looksLikeEmail = (value: string): boolean => value.length <= 320 && EMAIL_SHAPE.test(value);

/** IPv4 → /24 (`203.0.113.0`), IPv6 → /48 (`2001:db8:85a3::`); undefined if not an IP address. */
export function truncateIp(value: string): string | undefined {
  const trimmed = value.trim();
  const v4 = ipv4Prefix(trimmed);
  if (v4 !== NOT_IPV4) return v4;
  const groups = expandIpv6(trimmed);
  if (groups === undefined) return undefined;
  return `${groups
    .slice(0, 3)
    .map((g) => g.toString(16))
    .join(':')}::`;
}

const NOT_IPV4 = null;

/**
 * `/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/` read by hand (the match array, its four strings and two
 * more arrays per address were most of what truncation allocated): NOT_IPV4 when the text is not of
 * that shape, undefined when an octet is above 255, else the /24 prefix.
 */
function ipv4Prefix(text: string): string | undefined | typeof NOT_IPV4 {
  let octet = 0;
  let digits = 0;
  let part = 0;
  let a = 0;
  let b = 0;
  let c = 0;
  let tooLarge = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      if (++digits > 3) return NOT_IPV4;
      octet = octet * 10 + (code - 48);
    } else if (code === 46 && digits > 0 && part < 3) {
      if (octet > 255) tooLarge = true;
      if (part === 0) a = octet;
      else if (part === 1) b = octet;
      else c = octet;
      part++;
      octet = 0;
      digits = 0;
    } else {
      return NOT_IPV4;
    }
  }
  if (part !== 3 || digits === 0) return NOT_IPV4;
  return tooLarge || octet > 255 ? undefined : `${a}.${b}.${c}.0`;
}

function expandIpv6(value: string): number[] | undefined {
  const address = value.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!address.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(address)) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const group of part.split(':')) {
      if (group.includes('.')) {
        // Embedded IPv4 (::ffff:1.2.3.4): two groups.
        const octets = group.split('.').map(Number);
        if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o > 255)) return undefined;
        out.push(((octets[0] as number) << 8) | (octets[1] as number), ((octets[2] as number) << 8) | (octets[3] as number));
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return undefined;
        out.push(parseInt(group, 16));
      }
    }
    return out;
  };
  const head = parse(halves[0] as string);
  const tail = halves.length === 2 ? parse(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}
