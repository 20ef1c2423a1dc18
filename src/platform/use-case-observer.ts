/**
 * How a use case run is observed: a trace span named after its audit action when tracing is on
 * (the composition root sets it), nothing otherwise. A setting of the process, like the tracer
 * provider behind it; platform code stays free of packages.
 */
export type UseCaseObserver = <T>(action: string, work: () => Promise<T>) => Promise<T>;

const unobserved: UseCaseObserver = (_action, work) => work();
let observer: UseCaseObserver = unobserved;

export function observeUseCases(with_: UseCaseObserver | null): void {
  observer = with_ ?? unobserved;
}

export function observed<T>(action: string, work: () => Promise<T>): Promise<T> {
  return observer(action, work);
}
