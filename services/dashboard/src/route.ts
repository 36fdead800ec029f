import { useEffect, useState } from 'preact/hooks';

/** The app's location: the part of the URL after `#`, e.g. `/jobs/abc`. */
export function currentRoute(): string {
  return location.hash.replace(/^#/, '') || '/';
}

/** Re-renders on every hash change; returns the route. */
export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** Navigates to `route` (`/jobs/abc`). */
export function go(route: string): void {
  location.hash = `#${route}`;
}
