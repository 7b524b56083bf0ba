/**
 * The Salesforce sandbox's formula fields (sandbox/salesforce/formula.ts): the language it evaluates (operators,
 * precedence, functions, blanks, percents, rounding, dates), the errors that refuse a formula when its field is
 * defined, and the order formulas are recomputed in.
 */
import { applyFormulas, compileFormula, FormulaError, roundHalfUp, type FormulaFieldRef, type FormulaOptions, type FormulaReturnType } from '../../sandbox/salesforce/formula';
import { type FieldType, type FieldValue } from '../../sandbox/salesforce/model';

const FIELDS: Record<string, FieldType> = {
  Name: 'string',
  Description: 'textarea',
  Health_Score__c: 'double',
  Seats__c: 'int',
  Revenue__c: 'currency',
  Discount__c: 'percent',
  Tier__c: 'picklist',
  Products__c: 'multipicklist',
  Is_Strategic__c: 'boolean',
  Renewal_Date__c: 'date',
  CreatedDate: 'datetime',
  OwnerId: 'reference',
};

function lookup(name: string): FormulaFieldRef | undefined {
  const canonical = Object.keys(FIELDS).find((f) => f.toLowerCase() === name.toLowerCase());
  return canonical ? { name: canonical, type: FIELDS[canonical] ?? 'string' } : undefined;
}

function compile(source: string, returnType: FormulaReturnType = 'text', opts: Partial<FormulaOptions> = {}) {
  return compileFormula(source, { returnType, objectName: 'Account', field: lookup, ...opts });
}

const RECORD: Record<string, FieldValue> = {
  Name: 'Acme',
  Description: null,
  Health_Score__c: 55,
  Seats__c: 12,
  Revenue__c: 1000,
  Discount__c: 12.5,
  Tier__c: 'Tier 1',
  Products__c: 'Analytics;Engage',
  Is_Strategic__c: true,
  Renewal_Date__c: '2024-02-28',
  CreatedDate: '2024-01-01T10:00:00.000Z',
  OwnerId: '005000000000001AAA',
};

function value(source: string, returnType: FormulaReturnType = 'text', record: Record<string, FieldValue> = RECORD, opts: Partial<FormulaOptions> = {}): FieldValue {
  return compile(source, returnType, opts).evaluate(record);
}

function compileError(source: string, returnType: FormulaReturnType = 'text'): FormulaError {
  try {
    compile(source, returnType);
  } catch (err) {
    if (err instanceof FormulaError) return err;
    throw err;
  }
  throw new Error(`expected ${source} not to compile`);
}

const HEALTH_BAND = 'IF(ISBLANK(Health_Score__c), NULL, IF(Health_Score__c >= 70, "Green", IF(Health_Score__c >= 40, "Yellow", "Red")))';

describe('sandbox formulas: values', () => {
  it('computes the demo Health_Band__c formula at its thresholds, and no band without a score', () => {
    const band = compile(HEALTH_BAND);
    expect([98, 70, 69, 40, 39, 0].map((score) => band.evaluate({ Health_Score__c: score }))).toEqual(['Green', 'Green', 'Yellow', 'Yellow', 'Red', 'Red']);
    expect(band.evaluate({ Health_Score__c: null })).toBeNull();
    expect(band.references).toEqual(['Health_Score__c']);
  });

  it('applies arithmetic precedence: ^ before * and /, before + and -, unary minus after ^, left to right', () => {
    expect(value('1 + 2 * 3', 'number')).toBe(7);
    expect(value('(1 + 2) * 3', 'number')).toBe(9);
    expect(value('10 - 4 - 3', 'number')).toBe(3);
    expect(value('2 * 3 ^ 2', 'number')).toBe(18);
    expect(value('2 ^ 3 ^ 2', 'number')).toBe(512);
    expect(value('-2 ^ 2', 'number')).toBe(-4);
    expect(value('Seats__c / 8', 'number', RECORD, { scale: 2 })).toBe(1.5);
  });

  it('treats = and ==, <> and != alike; && and || as AND() and OR(); compares text case-sensitively', () => {
    expect(value('Name = "Acme" && Name == "Acme"', 'checkbox')).toBe(true);
    expect(value('Name <> "Acme" || Name != "Acme"', 'checkbox')).toBe(false);
    expect(value('Name = "acme"', 'checkbox')).toBe(false);
    expect(value('AND(Seats__c > 10, Seats__c <= 12, NOT(Seats__c < 12))', 'checkbox')).toBe(true);
    expect(value('OR(Seats__c >= 13, Is_Strategic__c)', 'checkbox')).toBe(true);
    expect(value('"b" > "a"', 'checkbox')).toBe(true);
  });

  it('concatenates text with & and with +, and reads blank text as the empty string', () => {
    expect(value('Name & " / " & Description & "!"')).toBe('Acme / !');
    expect(value('Name + "-" + Name')).toBe('Acme-Acme');
    expect(value('Description')).toBeNull();
    expect(value('Description = ""', 'checkbox')).toBe(true);
  });

  it('offers IF, CASE, ISBLANK, ISNULL, BLANKVALUE, NULLVALUE, TEXT, ISPICKVAL and text functions', () => {
    expect(value('CASE(Tier__c, "Tier 1", "gold", "Tier 2", "silver", "bronze")')).toBe('gold');
    expect(value('CASE(Seats__c, 1, "one", 12, "dozen", "many")')).toBe('dozen');
    expect(value('CASE(Seats__c, 1, "one", 2, "two", "many")')).toBe('many');
    expect(value('ISPICKVAL(Tier__c, "Tier 1") && NOT(ISPICKVAL(Tier__c, "Tier 2"))', 'checkbox')).toBe(true);
    expect(value('BLANKVALUE(Description, "none") & "/" & BLANKVALUE(Name, "none")')).toBe('none/Acme');
    expect(value('TEXT(Seats__c) & " " & TEXT(Renewal_Date__c) & " " & TEXT(Tier__c) & " " & TEXT(CreatedDate)')).toBe('12 2024-02-28 Tier 1 2024-01-01 10:00:00Z');
    expect(value('TEXT(Health_Score__c / 8)')).toBe('6.875');
    // Text is never null: ISNULL of a text is false even when blank, ISBLANK is true.
    expect(value('ISNULL(Description)', 'checkbox')).toBe(false);
    expect(value('ISBLANK(Description) && NOT(ISBLANK(Name))', 'checkbox')).toBe(true);
    expect(value('NULLVALUE(Health_Score__c, 0) + 1', 'number', { Health_Score__c: null })).toBe(1);
    expect(value('UPPER(LEFT(Name, 2)) & LOWER(RIGHT(Name, 2)) & TEXT(LEN(Name))')).toBe('ACme4');
    expect(value('CONTAINS(Name, "cm") && BEGINS(Name, "Ac") && NOT(CONTAINS(Name, "CM"))', 'checkbox')).toBe(true);
    expect(value('TRIM("  x  ") & TEXT(VALUE("2.5") * 2)')).toBe('x5');
    expect(value('MAX(1, Seats__c, 3) + MIN(4, 2) + ABS(-1) + MOD(7, 4) + FLOOR(1.5) + CEILING(1.2)', 'number')).toBe(12 + 2 + 1 + 3 + 1 + 2);
  });

  it('calls functions and names fields case-insensitively, and skips comments and whitespace', () => {
    expect(value('if( health_score__c >= 50 , /* a comment */ "yes", \'no\' )')).toBe('yes');
    expect(value('true && TRUE && NOT(false)', 'checkbox')).toBe(true);
  });

  it('reads a percent field as its decimal and stores a percent result as a percent', () => {
    expect(value('Revenue__c * Discount__c', 'currency', RECORD, { scale: 2 })).toBe(125);
    expect(value('Discount__c', 'percent', RECORD, { scale: 1 })).toBe(12.5);
    expect(value('Discount__c * 2', 'percent', RECORD, { scale: 0 })).toBe(25);
  });

  it('rounds number results half up to the decimal places, away from zero for negatives', () => {
    expect(value('12.345', 'number', RECORD, { scale: 2 })).toBe(12.35);
    expect(value('-12.345', 'number', RECORD, { scale: 2 })).toBe(-12.35);
    expect(value('2 / 3', 'number', RECORD, { scale: 0 })).toBe(1);
    expect(value('ROUND(1.005, 2)', 'number', RECORD, { scale: 3 })).toBe(1.01);
    expect(roundHalfUp(2.5, 0)).toBe(3);
    expect(roundHalfUp(-2.5, 0)).toBe(-3);
    expect(roundHalfUp(1e-7, 2)).toBe(0);
  });

  it('lets blank numbers propagate by default, and reads them as zero with treat-blanks-as-zero', () => {
    const record = { Health_Score__c: null, Seats__c: 2 };
    expect(value('Health_Score__c + Seats__c', 'number', record)).toBeNull();
    expect(value('Health_Score__c + Seats__c', 'number', record, { blankAsZero: true })).toBe(2);
    expect(value('ISBLANK(Health_Score__c)', 'checkbox', record)).toBe(true);
    expect(value('ISBLANK(Health_Score__c)', 'checkbox', record, { blankAsZero: true })).toBe(false);
    expect(compile('Seats__c', 'number', { blankAsZero: true }).blankAsZero).toBe(true);
  });

  it('treats an ordering comparison with a blank as unknown: IF takes the else branch, a checkbox result is false', () => {
    const blank = { Health_Score__c: null };
    expect(value('IF(Health_Score__c >= 70, "high", "other")', 'text', blank)).toBe('other');
    expect(value('IF(NOT(Health_Score__c >= 70), "low", "unknown")', 'text', blank)).toBe('unknown');
    expect(value('Health_Score__c < 10', 'checkbox', blank)).toBe(false);
    expect(value('OR(Health_Score__c > 1, TRUE)', 'checkbox', blank)).toBe(true);
    expect(value('AND(Health_Score__c > 1, FALSE)', 'checkbox', blank)).toBe(false);
    expect(value('Health_Score__c = NULL', 'checkbox', blank)).toBe(true);
    expect(value('Health_Score__c = NULL', 'checkbox', RECORD)).toBe(false);
  });

  it('gives a blank value on a runtime error (division by zero, an impossible date)', () => {
    expect(value('Seats__c / 0', 'number')).toBeNull();
    expect(value('MOD(Seats__c, 0)', 'number')).toBeNull();
    expect(value('DATE(2023, 2, 29)', 'date')).toBeNull();
  });

  it('does date and datetime arithmetic in days and renders dates as Salesforce stores them', () => {
    expect(value('Renewal_Date__c + 2', 'date')).toBe('2024-03-01');
    expect(value('Renewal_Date__c - 28 - 31', 'date')).toBe('2023-12-31');
    expect(value('Renewal_Date__c - DATE(2024, 1, 1)', 'number')).toBe(58);
    expect(value('DATEVALUE(CreatedDate)', 'date')).toBe('2024-01-01');
    expect(value('DATEVALUE("2024-05-06")', 'date')).toBe('2024-05-06');
    expect(value('YEAR(Renewal_Date__c) * 10000 + MONTH(Renewal_Date__c) * 100 + DAY(Renewal_Date__c)', 'number')).toBe(20240228);
    expect(value('CreatedDate + 0.5', 'datetime')).toBe('2024-01-01T22:00:00.000Z');
    expect(value('Renewal_Date__c', 'date', { Renewal_Date__c: null })).toBeNull();
  });

  it('never gives a blank checkbox, and cuts text results to 1,300 characters', () => {
    expect(value('Is_Strategic__c', 'checkbox', { Is_Strategic__c: false })).toBe(false);
    expect(value('IF(Seats__c > 1, NULL, TRUE)', 'checkbox')).toBe(false);
    const long = compile('Name & Name').evaluate({ Name: 'x'.repeat(1000) });
    expect(typeof long === 'string' ? long.length : 0).toBe(1300);
  });
});

describe('sandbox formulas: refused formulas', () => {
  it.each([
    ['Nope__c', /Field Nope__c does not exist on Account/],
    ['Owner.Name', /Cross-object references such as Owner\.Name are not available/],
    ['$User.Email', /Global variables such as \$User are not available/],
    ['TODAY()', /TODAY\(\) is not available in sandbox formulas/],
    ['FOO(1)', /Unknown function FOO\(\)/],
    ['IF(Seats__c > 1, "a")', /IF\(\) takes 3 arguments, got 2/],
    ['CASE(Seats__c, 1, "a")', /CASE\(\) takes .* at least 4\), got 3/],
    ['IF(Seats__c, "a", "b")', /The condition of IF\(\) expects Checkbox, not Number/],
    ['IF(Seats__c > 1, "a", 2)', /The results of IF\(\) must have one type, not Text and Number/],
    ['Name & Seats__c', /The & operator joins texts: Text & Number/],
    ['"a" + 1', /Cannot add Text \+ Number/],
    ['Name > 1', /Cannot compare Text > Number/],
    ['Is_Strategic__c > FALSE', /Checkbox values can only be compared with = or <>/],
    ['Tier__c = "Tier 1"', /A picklist field can only be used in ISPICKVAL, TEXT, CASE/],
    ['LEN(Tier__c)', /A picklist field can only be used in ISPICKVAL/],
    ['ISPICKVAL(Name, "x")', /The first argument of ISPICKVAL\(\) must be a picklist field/],
    ['TEXT(Is_Strategic__c)', /TEXT\(\) does not accept a checkbox value/],
    ['Products__c', /Field Products__c is a multipicklist field, which sandbox formulas cannot read/],
    ['Seats__c', /The formula gives Number, but a text formula must give Text/],
    ['Tier__c', /A picklist field cannot be the result of a formula: wrap it in TEXT\(\)/],
    ['"unclosed', /A text literal is not closed/],
    ['1 + /* open', /A comment is not closed/],
    ['(1 + 2', /Expected '\)' but found the end of the formula/],
    ['1 2', /Unexpected '2' after the end of the expression/],
    ['Name #', /Unexpected character '#'/],
    ['   ', /The formula is empty/],
  ])('refuses %s', (source, message) => {
    expect(compileError(source).message).toMatch(message);
  });

  it('points at where the problem is', () => {
    expect(compileError('IF(Seats__c > 1, "a", Nope__c)').position).toBe('IF(Seats__c > 1, "a", '.length);
    expect(compileError('Name & "x" & #').position).toBe('Name & "x" & '.length);
  });

  it('checks the result against the return type', () => {
    expect(() => compile('Seats__c > 1', 'checkbox')).not.toThrow();
    expect(compileError('Seats__c > 1', 'number').message).toMatch(/gives Checkbox, but a number formula must give Number/);
    expect(compileError('Renewal_Date__c', 'datetime').message).toMatch(/gives Date, but a datetime formula must give Date\/Time/);
  });

  it('refuses a formula longer than 3,900 characters', () => {
    const long = `"${'x'.repeat(3899)}"`;
    expect(compileError(long).message).toMatch(/has 3901 characters; the limit is 3900/);
    expect(() => compile(`"${'x'.repeat(3898)}"`)).not.toThrow();
  });

  it('runs no JavaScript: names that mean something to JavaScript are only field names', () => {
    expect(compileError('constructor').message).toMatch(/Field constructor does not exist/);
    expect(compileError('__proto__').message).toMatch(/Field __proto__ does not exist/);
    expect(compileError('process.exit(1)').message).toMatch(/Unknown function PROCESS\.EXIT\(\)/);
  });
});

describe('sandbox formulas: recomputing a record', () => {
  it('recomputes formula fields in definition order, so a formula reading another formula sees its new value', () => {
    const band = compile(HEALTH_BAND);
    const lookupWithBand = (name: string) => (name.toLowerCase() === 'health_band__c' ? { name: 'Health_Band__c', type: 'string' as const } : lookup(name));
    const alert = compileFormula('Health_Band__c = "Red"', { returnType: 'checkbox', objectName: 'Account', field: lookupWithBand });
    const fields = [
      { name: 'Name', formula: null },
      { name: 'Health_Band__c', formula: band },
      { name: 'Alert__c', formula: alert },
    ];
    const record: Record<string, FieldValue> = { Name: 'Acme', Health_Score__c: 10, Health_Band__c: 'Green', Alert__c: false };
    applyFormulas(fields, record);
    expect(record).toEqual({ Name: 'Acme', Health_Score__c: 10, Health_Band__c: 'Red', Alert__c: true });
  });
});
