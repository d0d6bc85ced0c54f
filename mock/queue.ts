/**
 * The answers recorded for one request, served in recorded order; once they run out the
 * last one repeats, so a list read again after a create keeps its newest answer.
 */
export class AnswerQueue<T> {
  private served = 0;

  constructor(readonly answers: readonly T[]) {}

  take(): T {
    const answer = this.answers[Math.min(this.served, this.answers.length - 1)];
    this.served++;
    return answer;
  }
}
