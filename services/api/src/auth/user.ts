/** The authenticated caller, from a verified JWT. */
export interface AuthUser {
  /** `sub`: owns jobs, schedules and uploads. */
  readonly sub: string;
  /** `email` claim: the owner's address, recorded on their jobs for digests. */
  readonly email: string | null;
  /** `roles` contains `admin`: sees and manages everything. */
  readonly admin: boolean;
}

/** The owner filter for a query: admins see all (undefined), others only their own. */
export function ownerScope(user: AuthUser): string | undefined {
  return user.admin ? undefined : user.sub;
}
