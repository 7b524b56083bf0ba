// The part of async-exit-hook's API hubsync uses (the package ships no types).
declare module 'async-exit-hook' {
  interface AsyncExitHook {
    unhookEvent(event: string): void;
    hookedEvents(): string[];
  }
  const hook: AsyncExitHook;
  export default hook;
}
