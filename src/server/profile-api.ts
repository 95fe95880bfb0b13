/**
 * @module server/profile-api
 * memstats' profile module (src/profile), loaded on first use: the agent
 * starts without loading the inspector or the pprof encoder until someone
 * asks for a profile.
 */

/** The profile module's exports. */
export type ProfileApi = typeof import('../profile/index.js');

let loading: Promise<ProfileApi> | undefined;

/** loadProfiles imports the profile module once (a failed import is retried next time). */
export function loadProfiles(): Promise<ProfileApi> {
  loading ??= import('../profile/index.js').catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}
