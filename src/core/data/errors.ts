/**
 * A problem with a dataset on disk (missing scene, malformed transforms JSON, unreadable PNG,
 * inconsistent image sizes). The message is one line that names the file and what was wrong,
 * so front ends can print it as is.
 */
export class DatasetError extends Error {
  override name = 'DatasetError';
}
