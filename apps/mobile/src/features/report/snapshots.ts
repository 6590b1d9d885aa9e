/** Frames of the peer's video, kept on the device for a report (frameRing.ts). */
export interface Snapshots {
  /**
   * The current frame, then up to EVIDENCE_PER_REPORT − 1 from the seconds before, each a JPEG
   * of at most EVIDENCE_MAX_BYTES. Taken when the report sheet opens: what the user saw.
   */
  take(): Promise<Blob[]>;
}
