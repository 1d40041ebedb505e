import { describeThresholds, judge } from '../../lambdas/data-quality/thresholds';

describe('judge (dbt severity, warn_if, error_if)', () => {
  it('fails an error-severity test when error_if holds, else warns when warn_if holds', () => {
    const thresholds = { severity: 'error' as const, warnIf: '> 1', errorIf: '> 5' };
    expect(judge(thresholds, 0)).toBe('passed');
    expect(judge(thresholds, 1)).toBe('passed');
    expect(judge(thresholds, 1.5)).toBe('warned');
    expect(judge(thresholds, 5)).toBe('warned');
    expect(judge(thresholds, 5.01)).toBe('failed');
  });

  it('never fails a warn-severity test, whatever error_if says', () => {
    expect(judge({ severity: 'warn', warnIf: '!= 0', errorIf: '!= 0' }, 100)).toBe('warned');
    expect(judge({ severity: 'warn' }, 0)).toBe('passed');
  });

  it("defaults both thresholds to dbt's != 0", () => {
    expect(judge({ severity: 'error' }, 1)).toBe('failed');
    expect(judge({ severity: 'error' }, 0)).toBe('passed');
  });

  it('understands every comparison dbt accepts', () => {
    expect(judge({ severity: 'error', errorIf: '>=10' }, 10)).toBe('failed');
    expect(judge({ severity: 'error', errorIf: '<3', warnIf: '=7' }, 7)).toBe('warned');
    expect(judge({ severity: 'error', errorIf: '<> 4', warnIf: '== 4' }, 4)).toBe('warned');
    expect(judge({ severity: 'error', errorIf: '<= -1', warnIf: '< 0' }, -1)).toBe('failed');
  });

  it('rejects a threshold that is not a comparison with a number', () => {
    expect(() => judge({ severity: 'error', errorIf: 'above 5' }, 1)).toThrow(/threshold "above 5"/);
  });
});

describe('describeThresholds', () => {
  it('says both thresholds for an error-severity test and only warn_if for a warn test', () => {
    expect(describeThresholds({ severity: 'error', warnIf: '>1', errorIf: '> 5' }, 'count(*)')).toBe(
      'error if count(*) > 5; warn if count(*) > 1',
    );
    expect(describeThresholds({ severity: 'warn' }, 'count(*)')).toBe('warn if count(*) != 0');
  });
});
